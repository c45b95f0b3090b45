"""Shared fixtures: the reference data that the migrations seed, and the path to ../shared reference files."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data ist nicht vorhanden")
    return SHARED_DATA


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data set, built once per test module inside a transaction that is rolled back afterwards."""
    from django.db import transaction

    from monitoring.demo.build import build_demo

    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(log=lambda line: None)
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Figures kept in the cache (closed rounds on the dashboard, a round's counts) never leak from one test into
    another, neither from the shared cache nor from this process's copies of it."""
    from django.core.cache import cache

    from monitoring.fragments import forget_local

    cache.clear()
    forget_local()
    yield
    cache.clear()
    forget_local()
