"""Set-up shared by the benchmarks in bench/: the project on sys.path and Django on a throw-away database.

    from _common import ROOT, setup_django  # bench/ is on sys.path when a bench script runs

Each benchmark measures on a fresh database so that earlier runs and developers' data never skew it:
a temporary SQLite file unless DATABASE_URL names one (`scripts/with-postgres` sets it to a throw-away
PostgreSQL server), whose tables are created with migrate.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_django(*, migrate: bool = True) -> str:
    """Configure Django on a throw-away database, migrate it (unless a parent process of the benchmark
    has), and return the database vendor."""
    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.mkdtemp(prefix="jj-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invest.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    return connection.vendor


def setup_postgres_django(script: str) -> None:
    """Configure Django for a benchmark that fills the PostgreSQL database it is given (DATABASE_URL, a
    throw-away one from scripts/with-postgres), with files in a temporary folder; refuse anything else."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            f"bench/{script} measures the service on PostgreSQL and fills the database it is given.\n"
            f"Run it as: scripts/with-postgres .venv/bin/python bench/{script}"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invest.settings")
    os.environ.setdefault("FILE_STORE", tempfile.mkdtemp(prefix="jj-bench-files-"))
    import django

    django.setup()
