"""What the benchmarks share: Django set-up, a throwaway database of their own, timing by the median of repeats."""

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Development settings (the public key, DEBUG as before); production hardening is not what is measured here.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    # Requests go through Django's test client, whose host is "testserver".
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    import django

    django.setup()


@contextmanager
def throwaway_database(name: str):
    """A fresh database named for the benchmark (not the test suite's), migrated, dropped afterwards."""
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        name if connection.vendor == "postgresql" else str(ROOT / "var" / f"{name}.sqlite3")
    )
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def median_seconds(function, repeats: int = 5) -> float:
    function()  # warm caches and connections; not counted
    return statistics.median(timed(function)[0] for _ in range(repeats))
