"""A material upload that fails after its file was written leaves no file behind.

Regression: the file was saved to the file store before the Material row and the audit entry; when either
(or the commit) failed, the transaction rolled back and the file stayed in the store with nothing pointing
to it, a copy of a company's business licence or invoices that no one could find or delete.
"""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, connections, transaction

from applications import services
from applications.models import Material
from invest.models import AuditEntry
from tests.factories.applications import ApplicationFactory, applicant_for


def stored_files() -> set[str]:
    root = Path(default_storage.location)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def fail_creating_the_row(monkeypatch, seen: list):
    def create(**kwargs):
        seen.append(stored_files())  # what the store held when the failure struck
        raise IntegrityError("simulated: the material row could not be written")

    monkeypatch.setattr(Material.objects, "create", create)


def fail_writing_the_audit_entry(monkeypatch, seen: list):
    def audit(*args, **kwargs):
        seen.append(stored_files())
        raise DatabaseError("simulated: the audit entry could not be written")

    monkeypatch.setattr(services.drafts, "audit", audit)


@pytest.mark.django_db
@pytest.mark.parametrize("failure", [fail_creating_the_row, fail_writing_the_audit_entry])
def test_a_failure_after_the_file_is_written_removes_the_file(pdf, monkeypatch, failure):
    app = ApplicationFactory()
    applicant = applicant_for(app)
    seen: list[set[str]] = []
    failure(monkeypatch, seen)

    with pytest.raises(DatabaseError):
        services.add_material(app, applicant, key="licence", uploaded_file=pdf("营业执照.pdf"))

    assert len(seen) == 1 and len(seen[0]) == 1  # the file was in the store when the failure came
    assert stored_files() == set()
    assert not Material.objects.exists()


@pytest.mark.django_db
def test_a_failed_replacement_keeps_the_earlier_file_current_and_adds_none(pdf, monkeypatch):
    app = ApplicationFactory()
    applicant = applicant_for(app)
    first = services.add_material(app, applicant, key="licence", uploaded_file=pdf("执照.pdf", b"v1"))
    before = stored_files()
    assert before == {first.file.name}
    seen: list[set[str]] = []
    fail_writing_the_audit_entry(monkeypatch, seen)

    with pytest.raises(DatabaseError):
        services.add_material(app, applicant, key="licence", uploaded_file=pdf("执照-新.pdf", b"v2"))

    assert len(seen[0] - before) == 1  # the new file had been written
    assert stored_files() == before
    current = app.current_materials().get(key="licence")
    assert current.pk == first.pk and current.superseded_at is None


@pytest.mark.django_db(transaction=True)
def test_a_failed_commit_removes_the_file(pdf, monkeypatch):
    app = ApplicationFactory()
    applicant = applicant_for(app)
    connection = connections["default"]

    seen: list[set[str]] = []

    def commit():
        seen.append(stored_files())
        raise DatabaseError("simulated: the commit failed")

    monkeypatch.setattr(connection, "commit", commit)
    with pytest.raises(DatabaseError):
        services.add_material(app, applicant, key="licence", uploaded_file=pdf("营业执照.pdf"))
    monkeypatch.undo()

    assert len(seen) == 1 and len(seen[0]) == 1
    assert stored_files() == set()
    assert not Material.objects.exists()
    assert not AuditEntry.objects.filter(action="case.material").exists()


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_upload_is_refused_before_a_file_is_written(pdf):
    """A caller's later rollback would strand the file, so the service insists on its own transaction."""
    app = ApplicationFactory()
    applicant = applicant_for(app)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.add_material(app, applicant, key="licence", uploaded_file=pdf("营业执照.pdf"))
    assert stored_files() == set()
    assert not Material.objects.exists()
