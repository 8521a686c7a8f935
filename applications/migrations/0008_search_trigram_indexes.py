"""The queue's search (case number, project title) from trigram indexes on PostgreSQL (invest.search_indexes)."""

from django.db import migrations

from invest.search_indexes import trigram_index


class Migration(migrations.Migration):
    dependencies = [("applications", "0007_more_queue_indexes")]

    operations = [
        trigram_index("applications_application", "case_number", "case_number_trgm_idx"),
        trigram_index("applications_application", "project_title", "case_title_trgm_idx"),
    ]
