"""`manage.py delete_expired_exports`: delete background exports past EXPORT_KEEP_HOURS (cron or a systemd timer)."""

from django.core.management.base import BaseCommand

from monitoring.jobs import delete_expired_files


class Command(BaseCommand):
    help = "Löscht Exportdateien, deren Aufbewahrungszeit (EXPORT_KEEP_HOURS) abgelaufen ist."

    def handle(self, *args, **options) -> None:
        deleted = delete_expired_files()
        if options["verbosity"]:
            self.stdout.write(f"{deleted} abgelaufene Exportdatei{'' if deleted == 1 else 'en'} gelöscht.")
