"""Trigram indexes for the pages' "contains" searches (PostgreSQL's pg_trgm), as migration operations.

Django's ``icontains`` is ``UPPER(column) LIKE UPPER('%text%')``: no B-tree helps, so a search reads every
row its other filters leave (25,000 waiting cases at a million, 106 ms in bench/scale.py). A GIN index of the
trigrams of ``UPPER(column)`` answers the same LIKE from the index (3 ms); pg_trgm cuts Chinese text into
trigrams as it does Latin. The indexes exist only on PostgreSQL; SQLite, the embedded default, searches as
before. pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may create it. Where
it cannot be created the migration says so and goes on without the index: the search stays correct, only
slower, until a superuser runs ``CREATE EXTENSION pg_trgm`` and the migration is applied again (migrate the
app one step back, then forward).
"""

from __future__ import annotations

import sys

from django.db import DatabaseError, migrations, transaction


def trigram_index(table: str, column: str, name: str) -> migrations.RunPython:
    """A GIN trigram index ``name`` on ``UPPER(table.column)`` (PostgreSQL only; dropped on reverse)."""

    def create(apps, schema_editor) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        qn = schema_editor.quote_name
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:  # no privilege: the search works without the index
            print(f"\n  {name}: pg_trgm is not available ({exc}); searching without this index", file=sys.stderr)
            return
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {qn(name)} ON {qn(table)} USING gin ((UPPER({qn(column)}::text)) gin_trgm_ops)"
        )

    def drop(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    return migrations.RunPython(create, drop)
