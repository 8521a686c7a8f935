"""Backups: a pg_dump -Fc of the database plus a copy of the file store restore into an empty database and
an empty folder, and every case, document, audit entry and material file is found again (docs/operations.md).

PostgreSQL only (pg_dump and pg_restore are the backup tools of the production database).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import uuid
from glob import glob
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connection

from applications.documents.models import Document
from applications.models import Application
from invest.audit import audit
from invest.models import AuditEntry
from invest.uploads import random_storage_name, validate_upload

from .files import PDF, PNG, upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def pg_tool(name: str) -> str:
    candidates = [os.environ.get("PGBIN", ""), *sorted(glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if folder and Path(folder, name).exists():
            return str(Path(folder, name))
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} not found; install postgresql (scripts/install-system-deps)")
    return found


def conninfo(dbname: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or "",
        "dbname": dbname,
    }


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    if connection.settings_dict["PASSWORD"]:
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    return env


def cli_args(dbname: str) -> list[str]:
    info = conninfo(dbname)
    return ["-h", info["host"], "-p", info["port"], "-U", info["user"]]


@pytest.fixture
def empty_database():
    if connection.vendor != "postgresql":
        pytest.skip("backup and restore use pg_dump/pg_restore: PostgreSQL only")
    name = f"restore_check_{uuid.uuid4().hex[:8]}"
    info = conninfo(connection.settings_dict["NAME"])
    with psycopg.connect(**{**info, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**{**info, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_dump_and_file_store_restore_into_an_empty_database_with_everything(tmp_path, settings, empty_database):
    from tests.factories.applications import ApplicationFactory
    from tests.factories.documents import DocumentFactory

    store = FileSystemStorage(location=tmp_path / "files")
    cases = [ApplicationFactory(approved=True), ApplicationFactory(submitted=True), ApplicationFactory()]
    DocumentFactory(application=cases[0])
    DocumentFactory(application=cases[0], revoked=True)
    for case in cases:
        audit(None, "backup_check", case, after={"state": case.state}, reason="备份演练")
    stored = {}
    for name, content in (("营业执照.pdf", PDF), ("现场照片.png", PNG)):
        detected = validate_upload(upload(name, content))
        path = store.save(random_storage_name(detected.kind), ContentFile(content))
        stored[path] = detected.sha256

    expected = {
        "cases": sorted(Application.objects.values_list("case_number", "state")),
        "documents": sorted(Document.objects.values_list("number", "sha256", "revoked_at")),
        "audit": AuditEntry.objects.count(),
    }
    assert len(expected["cases"]) == 3 and len(expected["documents"]) == 2 and expected["audit"] >= 3

    # Back up: the database in PostgreSQL's custom format, the file store as a tar archive.
    dump = tmp_path / "jiangjin.dump"
    subprocess.run(
        [pg_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), *cli_args(""), connection.settings_dict["NAME"]],
        check=True,
        env=tool_env(),
        timeout=120,
    )
    archive = tmp_path / "files.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "files", arcname="files")

    # Restore into an empty database and an empty folder.
    subprocess.run(
        [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", empty_database, *cli_args(""), str(dump)],
        check=True,
        env=tool_env(),
        timeout=120,
    )
    restored_files = tmp_path / "restored"
    with tarfile.open(archive) as tar:
        tar.extractall(restored_files, filter="data")

    # Verify: every case, document and audit entry, and every file with its recorded hash.
    with psycopg.connect(**conninfo(empty_database)) as restored:
        cases_back = sorted(restored.execute(f"SELECT case_number, state FROM {Application._meta.db_table}").fetchall())
        documents_back = sorted(
            restored.execute(f"SELECT number, sha256, revoked_at FROM {Document._meta.db_table}").fetchall()
        )
        audit_back = restored.execute(f"SELECT count(*) FROM {AuditEntry._meta.db_table}").fetchone()[0]
        migrations_back = restored.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
    assert cases_back == expected["cases"]
    assert documents_back == expected["documents"]
    assert audit_back == expected["audit"]
    assert migrations_back > 0
    for path, sha256 in stored.items():
        assert hashlib.sha256((restored_files / "files" / path).read_bytes()).hexdigest() == sha256
