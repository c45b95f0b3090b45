"""`manage.py import_ozg FILE`: OZG-Leistungen (OZG-ID, Bezeichnung, Lage, Themenfeld, Zuständigkeit)."""

from django.core.management.base import CommandParser

from leika.commandline import ImportCommand
from ozg.importing import import_ozg


class Command(ImportCommand):
    help = "Importiert OZG-Leistungen aus einer CSV- oder XLSX-Datei; vorhandene OZG-IDs werden aktualisiert."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="OZG-Datei (CSV oder XLSX)")
        parser.add_argument("--dry-run", action="store_true", help="nur prüfen und zählen, nichts schreiben")
        parser.add_argument(
            "--entfallene-markieren",
            dest="withdraw_missing",
            action="store_true",
            help="die Datei ist der vollständige Katalog: nicht enthaltene OZG-Leistungen als entfallen markieren",
        )

    def handle(self, *args, **options) -> None:
        result = import_ozg(
            self.file_source(options["file"]), dry_run=options["dry_run"], withdraw_missing=options["withdraw_missing"]
        )
        if not result.written:
            self.stderr.write("Probelauf: nichts geschrieben.")
        for line in result.summary_lines():
            self.stdout.write(line)
        for change in result.rows:
            if change.name_replaced:
                old = next((old for label, old, _ in change.fields if label == "Bezeichnung"), "")
                self.stderr.write(f"Prüfen: OZG-ID {change.ozg_id} heißt nun „{change.name}“ statt „{old}“.")
