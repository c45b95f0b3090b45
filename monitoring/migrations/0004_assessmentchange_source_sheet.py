# Only the choices of AssessmentChange.source change: no SQL on SQLite or PostgreSQL (sqlmigrate shows a no-op), so the
# assessment table is not rebuilt and the closed-round triggers of 0002/0003 stay in place.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0003_workspace"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assessmentchange",
            name="source",
            field=models.CharField(
                choices=[
                    ("seite", "Detailseite"),
                    ("zeile", "Bearbeitung in der Liste"),
                    ("sammel", "Sammelbearbeitung"),
                    ("bestaetigung", "Bestätigung"),
                    ("import", "Import"),
                    ("admin", "Verwaltung"),
                    ("tabelle", "Excel-Tabelle"),
                ],
                max_length=20,
                verbose_name="Weg",
            ),
        ),
    ]
