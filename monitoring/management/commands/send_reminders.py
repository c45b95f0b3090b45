"""`manage.py send_reminders`: the reminders before the deadline and the IT office's weekly digest that are due today
(daily, from cron or a systemd timer; docs/betrieb.md). Running it twice sends nothing twice."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from monitoring.notifications import send_due_reminders


class Command(BaseCommand):
    help = (
        "Sendet die heute fälligen Erinnerungen an die Meldefrist (REMINDER_DAYS Tage vorher, an Einheiten mit "
        "unbestätigten Leistungen) und die Wochenübersicht der IT-Steuerung; jede höchstens einmal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--datum", help="so tun, als wäre heute dieser Tag (JJJJ-MM-TT); zum Nachholen und Prüfen")

    def handle(self, *args, **options) -> None:
        today = None
        if options["datum"]:
            try:
                today = datetime.date.fromisoformat(options["datum"])
            except ValueError:
                raise CommandError(f"„{options['datum']}“ ist kein Datum der Form JJJJ-MM-TT.") from None
        run = send_due_reminders(today)
        if options["verbosity"]:
            self.stdout.write(
                f"{run.reminders} Erinnerung{'' if run.reminders == 1 else 'en'} und "
                f"{run.digests} Wochenübersicht{'' if run.digests == 1 else 'en'} gesendet."
            )
