"""`manage.py load_demo`: the demo data set (two organisations, their figures, demo users) from fixtures/demo/."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monitoring.demo.build import build_demo


class Command(BaseCommand):
    help = (
        "Legt die Demo-Daten an (StädteRegion Aachen, Stadt Aachen, Demo-Benutzer_innen). "
        "Mehrfacher Aufruf ändert nichts."
    )

    def handle(self, *args, **options):
        if not settings.ALLOW_DEMO_DATA:
            raise CommandError(
                "Demo-Daten mit bekannten Passwörtern sind in dieser Installation nicht erlaubt "
                "(ALLOW_DEMO_DATA ist aus; im Betrieb mit DEBUG=0 immer)."
            )
        build_demo(log=lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS("Demo-Daten sind vorhanden."))
