"""Indexes for the statistics' year filters: the dates a figure is counted on (a case's submission and
decision, a disbursement's payment day). The models of the applications app do not declare them; they are
created here, under names starting with ``stats_``, so that a year's figures read a range of an index rather
than the whole table at a million cases (PostgreSQL combines the two case indexes for "submitted or decided in
the year"). CREATE INDEX IF NOT EXISTS is the same on SQLite and PostgreSQL."""

from django.db import migrations

INDEXES = (
    ("stats_case_submitted_at", "applications_application", "submitted_at"),
    ("stats_case_decided_at", "applications_application", "decided_at"),
    ("stats_disbursement_paid_on", "applications_disbursement", "paid_on"),
)


class Migration(migrations.Migration):
    dependencies = [("statistics", "0002_backfill_stage_visits")]

    operations = [
        migrations.RunSQL(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
            f'DROP INDEX IF EXISTS "{name}"',
        )
        for name, table, column in INDEXES
    ]
