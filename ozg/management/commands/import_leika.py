"""`manage.py import_leika FILE --version NAME`: a LeiKa file as a new catalogue version with its crosswalk."""

import datetime

from django.core.management.base import CommandParser

from leika.commandline import ImportCommand
from leika.tabular import ImportFailed, RowError
from ozg.importing import import_leika_with_ozg


class Command(ImportCommand):
    help = (
        "Importiert eine LeiKa-Datei (CSV oder XLSX) als neue Katalogversion, gleicht sie mit der Vorversion ab "
        "und gibt je Änderungsklasse eine Zeile „<Klasse>: <Anzahl>“ aus."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="LeiKa-Datei (CSV: ; getrennt, UTF-8 oder ISO-8859-1; oder XLSX)")
        parser.add_argument("--version", dest="version_name", required=True, help="Name der neuen Katalogversion")
        parser.add_argument("--valid-from", help="gültig ab (JJJJ-MM-TT); Vorgabe: heute")
        parser.add_argument("--mapping", help="Zuordnungsdatei für Zusammenlegungen (Spalten alt;neu)")
        parser.add_argument("--dry-run", action="store_true", help="nur prüfen und zählen, nichts schreiben")

    def handle(self, *args, **options) -> None:
        valid_from = None
        if options["valid_from"]:
            try:
                valid_from = datetime.date.fromisoformat(options["valid_from"])
            except ValueError:
                raise ImportFailed(
                    [RowError(None, "--valid-from", f"„{options['valid_from']}“ ist kein Datum (JJJJ-MM-TT).")]
                ) from None
        result = import_leika_with_ozg(
            self.file_source(options["file"]),
            version_name=options["version_name"],
            valid_from=valid_from,
            mapping=self.file_source(options["mapping"]) if options["mapping"] else None,
            dry_run=options["dry_run"],
        )
        if result.same_as is not None:
            self.stderr.write(f"Die Datei entspricht der Katalogversion „{result.same_as}“; nichts geschrieben.")
        elif not result.written:
            self.stderr.write("Probelauf: nichts geschrieben.")
        for line in result.summary_lines():
            self.stdout.write(line)
