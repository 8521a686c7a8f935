import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from invest.roles import ROLE_KEYS
from tests.factories.applications import ApplicationFactory, CaseItemFactory, CaseRoundFactory
from tests.factories.companies import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _portal_settings(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.CLAMAV_SOCKET = ""
    # Users are created in every test; the production hasher would make the suite crawl.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db):
    return {role: UserFactory(username=f"{role}-user", roles=[role]) for role in ROLE_KEYS if role != "applicant"}


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
