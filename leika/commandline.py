"""What every import command shares: German errors on stderr, exit code 1, never a traceback, nothing written."""

from pathlib import Path

from django.core.management.base import BaseCommand

from .importing import FileSource
from .tabular import ImportFailed, RowError


class ImportCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        # Our commands take `--version NAME` (a catalogue version); it replaces Django's own `--version`.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def file_source(self, path: str) -> FileSource:
        if not Path(path).is_file():
            raise ImportFailed([RowError(None, None, f"Die Datei „{path}“ gibt es nicht.")])
        return FileSource(path, Path(path).name)

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            self.stderr.write("Import abgebrochen; es wurde nichts geschrieben.")
            raise SystemExit(1) from None
