"""Every case's stage visits, rebuilt from the audit log (the before → after state of each transition)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from applications.statistics.visits import rebuild

    rebuild(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("statistics", "0001_stage_visits"),
        ("invest", "0002_reminder_log"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
