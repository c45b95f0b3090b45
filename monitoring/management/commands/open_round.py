"""`manage.py open_round --organisation ID --year YYYY --version NAME`: a new round carried over from the last one."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import CommandParser

from leika.commandline import ImportCommand
from leika.crosswalk import Change
from leika.models import CatalogueVersion
from leika.tabular import ImportFailed, RowError
from monitoring.access import find_organisation
from monitoring.carryover import carry_over_report, open_round
from ozg.models import MaturityScale


class Command(ImportCommand):
    help = "Eröffnet eine Erhebungsrunde und übernimmt die Bewertungen der Vorrunde über den Katalogabgleich."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True, help="ID oder Regionalschlüssel")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--version", dest="version_name", required=True, help="Name der Katalogversion")
        parser.add_argument("--scale", help="Kürzel der Reifegradskala; Vorgabe: die der Vorrunde")
        parser.add_argument("--deadline", help="Meldefrist (JJJJ-MM-TT)")

    def handle(self, *args, **options) -> None:
        organisation = find_organisation(options["organisation"])
        if organisation is None:
            raise ImportFailed([RowError(None, "--organisation", f"Keine Organisation „{options['organisation']}“.")])
        version = CatalogueVersion.objects.filter(name=options["version_name"]).first()
        if version is None:
            raise ImportFailed([RowError(None, "--version", f"Keine Katalogversion „{options['version_name']}“.")])
        scale = None
        if options["scale"]:
            scale = MaturityScale.objects.filter(code=options["scale"]).first()
            if scale is None:
                raise ImportFailed([RowError(None, "--scale", f"Keine Reifegradskala „{options['scale']}“.")])
        try:
            deadline = datetime.date.fromisoformat(options["deadline"]) if options["deadline"] else None
            round_obj = open_round(organisation, options["year"], version, scale, deadline)
        except ValueError:
            raise ImportFailed([RowError(None, "--deadline", "Bitte als JJJJ-MM-TT angeben.")]) from None
        except ValidationError as error:
            raise ImportFailed([RowError(None, None, message) for message in error.messages]) from None
        report = carry_over_report(round_obj)
        for kind, rows in report.classes.items():
            self.stdout.write(f"{Change(kind).label}: {len(rows)}")
        self.stdout.write(f"entfallen (zur Prüfung): {len(report.withdrawn)}")
        self.stdout.write(f"neu im Katalog, nicht im Umfang: {len(report.new_out_of_scope)}")
