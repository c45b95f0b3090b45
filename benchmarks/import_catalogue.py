"""Benchmark of the LeiKa import against a bare bulk_create of the same rows, in the same run and database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/import_catalogue.py

Runs in a throwaway test database (created and dropped here). Reports for the real 4,813-entry catalogue from
../shared/data and a generated 50,000-entry catalogue: import time, baseline time, their ratio (goal: at most 2×),
the time of re-importing the unchanged file as a share of the first import (goal: at most 0.5, nothing written),
and the peak Python memory of the 50,000-entry import (tracemalloc, measured in a separate untimed run).
"""

import random
import tempfile
import tracemalloc
from pathlib import Path

from common import SHARED, setup_django, throwaway_database, timed

setup_django()

from django.db import connection  # noqa: E402

from leika.importing import LEIKA_COLUMNS, FileSource, _entries  # noqa: E402
from leika.models import CatalogueChange, CatalogueVersion, LeikaEntry  # noqa: E402
from leika.tabular import read_table  # noqa: E402
from ozg.importing import OZG_ID_COLUMN, import_leika_with_ozg, import_ozg  # noqa: E402

VERRICHTUNGEN = ["001", "002", "003", "005", "007", "010", "012", "014", "015", "017"]


def generated_catalogue(path: Path, size: int) -> None:
    """A deterministic FIM-style CSV: Leistungsobjekte with Verrichtungen and details, size entries in all."""
    rng = random.Random(50000)
    lines = ["Schluessel;Bezeichnung;Bezeichnung2;Typ;Rechtsgrundlage;Synonyme"]
    group, obj = 1, 0
    while len(lines) - 1 < size:
        obj += 1
        if obj > 999:
            group, obj = group + 1, 1
        prefix = f"99{group:03d}{obj:03d}"
        name = f"Leistungsobjekt {group}-{obj}"
        lines.append(f"{prefix}000000;{name};;2/3;§ {obj} Musterverordnung;{name} Synonym")
        for verrichtung in rng.sample(VERRICHTUNGEN, 4):
            lines.append(f"{prefix}{verrichtung}000;{name} Verrichtung {verrichtung};;2/3;;")
            for detail in range(1, rng.randint(2, 5)):
                lines.append(
                    f"{prefix}{verrichtung}{detail:03d};{name} Verrichtung {verrichtung} Detail {detail};;2/3;;"
                )
    path.write_text("\n".join(lines[: size + 1]) + "\n", encoding="utf-8")


def clear() -> None:
    CatalogueChange.objects.all().delete()
    LeikaEntry.objects.all().delete()
    CatalogueVersion.objects.all().delete()


def baseline(path: Path) -> float:
    """The same rows, already parsed, inserted with a bare bulk_create (only the insert is timed)."""
    entries = _entries(read_table(str(path), path.name, [*LEIKA_COLUMNS, OZG_ID_COLUMN]))
    version = CatalogueVersion.objects.create(name="baseline", valid_from="2020-01-01")
    for entry in entries:
        entry.version = version
    seconds, _ = timed(lambda: LeikaEntry.objects.bulk_create(entries, batch_size=2000))
    clear()
    return seconds


def measure(label: str, path: Path) -> None:
    source = FileSource(str(path), path.name)
    base = baseline(path)
    first, result = timed(lambda: import_leika_with_ozg(source, version_name=f"{label} 1"))
    written = LeikaEntry.objects.count()
    again, repeat = timed(lambda: import_leika_with_ozg(source, version_name=f"{label} 2"))
    assert repeat.same_as is not None and LeikaEntry.objects.count() == written, "re-import wrote something"
    print(
        f"{label}: {result.entries} Einträge | Import {first:.2f} s | bulk_create-Basis {base:.2f} s | "
        f"Verhältnis {first / base:.2f}× | erneuter Import {again:.2f} s = {again / first:.2f} des ersten, "
        f"nichts geschrieben"
    )
    clear()


def main() -> None:
    with throwaway_database("bench_import_catalogue"):
        import_ozg(FileSource(str(SHARED / "kdn2019_ozg.csv"), "kdn2019_ozg.csv"))
        print(f"Datenbank: {connection.vendor}")
        measure("Echter Katalog (KDN 2019)", SHARED / "kdn2019_leika.csv")
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "generiert_50000.csv"
            generated_catalogue(path, 50_000)
            measure("Generierter Katalog", path)
            tracemalloc.start()
            import_leika_with_ozg(FileSource(str(path), path.name), version_name="Speicher")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"Spitzenspeicher (Python, tracemalloc) beim Import von 50.000 Einträgen: {peak / 1024 / 1024:.0f} MB"
            )


if __name__ == "__main__":
    main()
