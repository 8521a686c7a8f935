"""The database cache's table (settings.CACHES' default), made by migrate as by `manage.py createcachetable`.

Every signed-in page reads the shared cache (invest.hotcache), so a database that was migrated but never had
createcachetable run would fail on every page. createcachetable skips a table that exists and does nothing
for a Redis cache. Unapplying leaves the table: it holds nothing that needs keeping.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("invest", "0003_audit_actor_at_index")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=True)]
