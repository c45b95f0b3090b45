"""`leika.dbstats.analyze` on whichever database the tests run: the statement it sends (PostgreSQL) or that it sends
none (elsewhere). What ANALYZE then does to the statistics, and which bulk paths call it: tests/test_statistics.py,
on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leika.dbstats import analyze
from leika.models import LeikaEntry
from monitoring.models import Assessment

pytestmark = pytest.mark.django_db


def test_analyze_sends_one_statement_for_the_tables_on_postgresql_and_none_elsewhere():
    with CaptureQueriesContext(connection) as queries:
        analyze(LeikaEntry, Assessment, LeikaEntry)
    sent = [query["sql"] for query in queries]
    if connection.vendor == "postgresql":
        assert sent == ['ANALYZE "leika_leikaentry", "monitoring_assessment"']
    else:
        assert sent == [], "SQLite and others keep their statistics themselves"
