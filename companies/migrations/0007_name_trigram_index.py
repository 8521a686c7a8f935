"""Company names searched from a trigram index on PostgreSQL (invest.search_indexes): the queue's search by
company, the registry's and the admin's."""

from django.db import migrations

from invest.search_indexes import trigram_index


class Migration(migrations.Migration):
    dependencies = [("companies", "0006_company_documents")]

    operations = [trigram_index("companies_company", "name", "company_name_trgm_idx")]
