"""A database trigger that refuses writes to assessments of closed rounds, also for raw SQL.

PostgreSQL guards INSERT, UPDATE and DELETE. SQLite guards INSERT and UPDATE only: its test flush empties tables
with DELETE, which a delete trigger would block; deletes stay guarded by the ORM there.
"""

from django.db import migrations

MESSAGE = "Die Erhebungsrunde ist abgeschlossen; ihre Bewertungen können nicht mehr geändert werden."

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION monitoring_assessment_closed_round_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM monitoring_surveyround WHERE id = OLD.round_id AND is_closed
    ) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM monitoring_surveyround WHERE id = NEW.round_id AND is_closed
    ) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER monitoring_assessment_closed_round
    BEFORE INSERT OR UPDATE OR DELETE ON monitoring_assessment
    FOR EACH ROW EXECUTE FUNCTION monitoring_assessment_closed_round_guard();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS monitoring_assessment_closed_round ON monitoring_assessment;
DROP FUNCTION IF EXISTS monitoring_assessment_closed_round_guard();
"""

SQLITE_FORWARD = [
    f"""
CREATE TRIGGER monitoring_assessment_closed_round_insert BEFORE INSERT ON monitoring_assessment
WHEN (SELECT is_closed FROM monitoring_surveyround WHERE id = NEW.round_id)
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
""",
    f"""
CREATE TRIGGER monitoring_assessment_closed_round_update BEFORE UPDATE ON monitoring_assessment
WHEN (SELECT is_closed FROM monitoring_surveyround WHERE id = OLD.round_id)
  OR (SELECT is_closed FROM monitoring_surveyround WHERE id = NEW.round_id)
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS monitoring_assessment_closed_round_insert;",
    "DROP TRIGGER IF EXISTS monitoring_assessment_closed_round_update;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
