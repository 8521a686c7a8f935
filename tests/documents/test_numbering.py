"""Document numbers: per issuer and year, from 1, no gaps, no duplicates, given back on rollback."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from applications.documents.constants import DocumentKind
from applications.documents.models import Document
from applications.documents.samples import sample_context
from applications.documents.services import issue_document

SHANGHAI = ZoneInfo("Asia/Shanghai")


def issue(kind=DocumentKind.APPROVAL_DECISION, **kwargs):
    return issue_document(kind, context=sample_context(kind), render_after_commit=False, **kwargs)


@pytest.mark.django_db
def test_numbers_run_from_one_without_gaps_in_the_printed_form():
    at = datetime(2026, 3, 1, 9, tzinfo=SHANGHAI)
    numbers = [issue(issued_at=at).number for _ in range(5)]
    assert numbers == [f"江津影扶〔2026〕{n}号" for n in range(1, 6)]


@pytest.mark.django_db
def test_a_new_year_starts_again_at_one():
    issue(issued_at=datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI))
    issue(issued_at=datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI))
    # 2026-12-31 16:30 UTC is already 2027-01-01 in Shanghai: the year is the local one.
    first_2027 = issue(issued_at=datetime(2026, 12, 31, 16, 30, tzinfo=ZoneInfo("UTC")))
    assert (first_2027.year, first_2027.sequence, first_2027.number) == (2027, 1, "江津影扶〔2027〕1号")
    assert issue(issued_at=datetime(2026, 12, 31, 12, tzinfo=SHANGHAI)).number == "江津影扶〔2026〕3号"


@pytest.mark.django_db
def test_each_issuer_has_its_own_series():
    at = datetime(2026, 5, 1, tzinfo=SHANGHAI)
    decision = issue(DocumentKind.APPROVAL_DECISION, issued_at=at)
    rejection = issue(DocumentKind.REJECTION_DECISION, issued_at=at)
    notice = issue(DocumentKind.ACCEPTANCE_NOTICE, issued_at=at)
    assert [decision.sequence, rejection.sequence, notice.sequence] == [1, 2, 1]
    assert notice.number == "江津影扶受〔2026〕1号"


@pytest.mark.django_db
def test_a_rolled_back_transition_gives_its_number_back():
    at = datetime(2026, 5, 1, tzinfo=SHANGHAI)
    issue(issued_at=at)
    with pytest.raises(RuntimeError), transaction.atomic():
        issue(issued_at=at)
        raise RuntimeError("the transition failed after the document was numbered")
    assert issue(issued_at=at).sequence == 2
    assert sorted(Document.objects.values_list("sequence", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_number():
    document = issue(issued_at=datetime(2026, 5, 1, tzinfo=SHANGHAI))
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(
            kind=document.kind,
            issuer=document.issuer,
            year=document.year,
            sequence=document.sequence,
            number="duplicate",
            issued_at=document.issued_at,
        )


@pytest.mark.django_db(transaction=True)
def test_numbers_are_only_taken_inside_a_transaction():
    from applications.documents.services import allocate_number

    with pytest.raises(RuntimeError):
        allocate_number("江津影扶", 2026)


@pytest.mark.django_db
def test_verification_codes_are_random_and_distinct():
    codes = {issue().verification_code for _ in range(20)}
    assert len(codes) == 20
    assert all(len(code) == 16 for code in codes)
