"""Each assessment keeps its entry's key (`entry_key`), so that the lists sort a round's rows from an index of the
assessments alone. The database keeps it: a trigger sets it on every insert and on every update that changes the
entry or the key (whatever Django, a bulk path or raw SQL sends), from the entry the row points to.

The rows already stored get their keys here, also those of closed rounds: their lock (migration 0002) is lifted for
this one statement, inside this migration's transaction (on SQLite, where adding the column rebuilds the table and
drops its triggers, the lock's triggers are made again).
"""

from django.conf import settings
from django.db import migrations, models

FILL = """
UPDATE monitoring_assessment SET entry_key = (
    SELECT key FROM leika_leikaentry WHERE leika_leikaentry.id = monitoring_assessment.leika_entry_id
)
"""

POSTGRES_FORWARD = [
    "ALTER TABLE monitoring_assessment DISABLE TRIGGER monitoring_assessment_closed_round",
    FILL,
    "ALTER TABLE monitoring_assessment ENABLE TRIGGER monitoring_assessment_closed_round",
    """
CREATE OR REPLACE FUNCTION monitoring_assessment_entry_key() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.leika_entry_id IS DISTINCT FROM OLD.leika_entry_id
            OR NEW.entry_key IS DISTINCT FROM OLD.entry_key THEN
        NEW.entry_key := (SELECT key FROM leika_leikaentry WHERE id = NEW.leika_entry_id);
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER monitoring_assessment_entry_key
    BEFORE INSERT OR UPDATE ON monitoring_assessment
    FOR EACH ROW EXECUTE FUNCTION monitoring_assessment_entry_key()
""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS monitoring_assessment_entry_key ON monitoring_assessment",
    "DROP FUNCTION IF EXISTS monitoring_assessment_entry_key()",
]

# SQLite's triggers cannot change the row being written: they write the key after it, where it differs.
ENTRY_KEY = "(SELECT key FROM leika_leikaentry WHERE id = NEW.leika_entry_id)"
LOCK_MESSAGE = "Die Erhebungsrunde ist abgeschlossen; ihre Bewertungen können nicht mehr geändert werden."
# Django adds and drops a column on SQLite by building the table anew, which drops its triggers: the closed-round
# lock of migration 0002, made again as it was, after the fill and after the column is dropped again.
SQLITE_LOCK = [
    "DROP TRIGGER IF EXISTS monitoring_assessment_closed_round_insert",
    "DROP TRIGGER IF EXISTS monitoring_assessment_closed_round_update",
    f"""
CREATE TRIGGER monitoring_assessment_closed_round_insert BEFORE INSERT ON monitoring_assessment
WHEN (SELECT is_closed FROM monitoring_surveyround WHERE id = NEW.round_id)
BEGIN SELECT RAISE(ABORT, '{LOCK_MESSAGE}'); END
""",
    f"""
CREATE TRIGGER monitoring_assessment_closed_round_update BEFORE UPDATE ON monitoring_assessment
WHEN (SELECT is_closed FROM monitoring_surveyround WHERE id = OLD.round_id)
  OR (SELECT is_closed FROM monitoring_surveyround WHERE id = NEW.round_id)
BEGIN SELECT RAISE(ABORT, '{LOCK_MESSAGE}'); END
""",
]
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS monitoring_assessment_closed_round_update",
    FILL,
    *SQLITE_LOCK,
    f"""
CREATE TRIGGER monitoring_assessment_entry_key_insert AFTER INSERT ON monitoring_assessment
BEGIN UPDATE monitoring_assessment SET entry_key = {ENTRY_KEY} WHERE id = NEW.id; END
""",
    f"""
CREATE TRIGGER monitoring_assessment_entry_key_update AFTER UPDATE OF leika_entry_id, entry_key ON monitoring_assessment
WHEN NEW.entry_key IS NOT {ENTRY_KEY}
BEGIN UPDATE monitoring_assessment SET entry_key = {ENTRY_KEY} WHERE id = NEW.id; END
""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS monitoring_assessment_entry_key_insert",
    "DROP TRIGGER IF EXISTS monitoring_assessment_entry_key_update",
]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):

    dependencies = [
        ('leika', '0006_entry_name_upper'),
        ('monitoring', '0011_assessment_round_department_status'),
        ('ozg', '0003_withdrawn_on'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='assessment',
            options={'ordering': ['round', 'entry_key'], 'verbose_name': 'Bewertung', 'verbose_name_plural': 'Bewertungen'},
        ),
        migrations.RemoveIndex(
            model_name='assessment',
            name='assessment_round_department',
        ),
        # Undone after the column is dropped again: the lock's triggers on SQLite.
        migrations.RunPython(migrations.RunPython.noop, run({"sqlite": SQLITE_LOCK})),
        migrations.AddField(
            model_name='assessment',
            name='entry_key',
            field=models.CharField(default='', editable=False, max_length=14, verbose_name='Leistungsschlüssel'),
        ),
        migrations.RunPython(
            run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
        migrations.AddIndex(
            model_name='assessment',
            index=models.Index(fields=['round', 'department', 'entry_key'], include=('id', 'leika_entry', 'status', 'confirmed_at'), name='assessment_round_department'),
        ),
        migrations.AddIndex(
            model_name='assessment',
            index=models.Index(fields=['round', 'entry_key'], include=('department', 'id', 'leika_entry', 'status', 'confirmed_at'), name='assessment_round_key'),
        ),
    ]
