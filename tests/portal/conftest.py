import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import MembershipFactory


@pytest.fixture(autouse=True)
def _portal_settings(immediate_tasks):
    """Documents and notices are made at once, as a worker would."""


@pytest.fixture
def item(db):
    return CaseItemFactory(code="T-PORTAL-01", name="测试拍摄补贴")


@pytest.fixture
def open_round(item):
    return CaseRoundFactory(policy=item.policy)


@pytest.fixture
def member(db):
    """A confirmed applicant of a company."""
    return MembershipFactory()


@pytest.fixture
def case_of(item, open_round):
    def make(membership, **traits):
        return ApplicationFactory(company=membership.company, item=item, round=open_round, **traits)

    return make


def pdf_file(name="材料.pdf", body=b"content"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body + b"\n%%EOF\n", content_type="application/pdf")
