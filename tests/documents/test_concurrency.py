"""Fifty approvals at the same moment get fifty consecutive numbers (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection, connections, transaction

from applications.documents.constants import DocumentKind
from applications.documents.models import Document
from applications.documents.samples import sample_context
from applications.documents.services import issue_document


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_issues_get_fifty_distinct_consecutive_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only real on PostgreSQL")
    count = 50
    barrier = threading.Barrier(count)
    numbers, errors = [], []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                document = issue_document(
                    DocumentKind.APPROVAL_DECISION,
                    context=sample_context(DocumentKind.APPROVAL_DECISION),
                    render_after_commit=False,
                )
            with lock:
                numbers.append(document.sequence)
        except Exception as exc:  # collected and asserted below
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, count + 1))
    assert Document.objects.count() == count
    assert Document.objects.values("number").distinct().count() == count
