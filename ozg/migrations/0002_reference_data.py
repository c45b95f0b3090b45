from django.db import migrations


def seed_reference(apps, schema_editor):
    from ozg.reference import seed

    seed(apps.get_model("ozg", "Themenfeld"), apps.get_model("ozg", "MaturityScale"), apps.get_model("ozg", "MaturityLevel"))


class Migration(migrations.Migration):
    dependencies = [("ozg", "0001_initial")]

    operations = [migrations.RunPython(seed_reference, migrations.RunPython.noop)]
