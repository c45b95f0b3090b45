"""load_demo builds the same data on every run and is refused where demo accounts are not allowed."""

import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from monitoring.demo.build import build_demo
from monitoring.models import Assessment, Organisation, OzgPlan

pytestmark = pytest.mark.django_db


def demo_fingerprint():
    rows = Assessment.objects.order_by("round__organisation__name", "round__year", "leika_entry__key").values_list(
        "round__year", "leika_entry__key", "leika_entry__name", "status", "department__code", "maturity_level__value"
    )
    plans = OzgPlan.objects.order_by("ozg_leistung__ozg_id").values_list("ozg_leistung__ozg_id", "state")
    return hashlib.sha256(repr((list(rows), list(plans))).encode()).hexdigest()


def test_the_demo_is_deterministic():
    fingerprints = []
    for _ in range(2):
        with transaction.atomic():
            build_demo(log=lambda line: None)
            fingerprints.append(demo_fingerprint())
            transaction.set_rollback(True)
    assert fingerprints[0] == fingerprints[1]
    assert Assessment.objects.count() == 0


def test_load_demo_is_refused_where_demo_data_is_not_allowed(settings):
    settings.ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="nicht erlaubt"):
        call_command("load_demo")
    assert not Organisation.objects.exists()
