"""The audit viewer's 操作人 search (user name, or part of a name) from trigram indexes on PostgreSQL
(invest.search_indexes): at 100,000 applicant accounts it read every account (38 ms)."""

from django.db import migrations

from invest.search_indexes import trigram_index


class Migration(migrations.Migration):
    dependencies = [("invest", "0004_cache_table"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        trigram_index("auth_user", "username", "user_username_trgm_idx"),
        trigram_index("auth_user", "first_name", "user_first_name_trgm_idx"),
        trigram_index("auth_user", "last_name", "user_last_name_trgm_idx"),
    ]
