"""`manage.py delete_expired_exports`: delete background exports past EXPORT_KEEP_HOURS and the records of jobs
finished more than JOB_KEEP_DAYS ago (cron or a systemd timer)."""

from django.core.management.base import BaseCommand

from monitoring.jobs import delete_expired_files, delete_old_jobs


class Command(BaseCommand):
    help = (
        "Löscht Exportdateien, deren Aufbewahrungszeit (EXPORT_KEEP_HOURS) abgelaufen ist, und Aufträge, die seit "
        "mehr als JOB_KEEP_DAYS Tagen beendet sind."
    )

    def handle(self, *args, **options) -> None:
        deleted = delete_expired_files()
        jobs = delete_old_jobs()
        if options["verbosity"]:
            self.stdout.write(f"{deleted} abgelaufene Exportdatei{'' if deleted == 1 else 'en'} gelöscht.")
            self.stdout.write(f"{jobs} alte Auftr{'ag' if jobs == 1 else 'äge'} gelöscht.")
