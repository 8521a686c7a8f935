import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from applications import services
from invest.roles import ROLE_KEYS
from tests.factories.applications import CaseItemFactory, CaseRoundFactory
from tests.factories.companies import CompanyFactory, MembershipFactory, UserFactory

SITE = "https://film.jiangjin.example"
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _notification_settings(settings, immediate_tasks):
    # Tasks run at once, as in tests/documents; the queue tests switch to the database (DATABASE_QUEUE).
    settings.SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "invest.sms.LoggingSMSBackend"
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_RETRY_DELAY = 60


@pytest.fixture
def staff(db):
    return {
        role: UserFactory(username=f"{role}-user", email=f"{role}@office.example", roles=[role])
        for role in ROLE_KEYS
        if role != "applicant"
    }


def pdf(name: str, body: bytes = b"content") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body + b"\n%%EOF\n", content_type="application/pdf")


@pytest.fixture
def submitted(staff, django_capture_on_commit_callbacks):
    """A case its applicant drafted and submitted through the services the pages call; (case, applicant)."""
    company = CompanyFactory(contact_phone="023-47521234")
    applicant = MembershipFactory(company=company, user__email="zhang@film.example").user
    item = CaseItemFactory()
    app = services.create_draft(
        applicant,
        company=company,
        item=item,
        round=CaseRoundFactory(policy=item.policy),
        project_title="电影《江津往事》",
        facts={"local_spend": "1200000", "shooting_days_in_jiangjin": 20},
    )
    services.add_material(app, applicant, key="licence", uploaded_file=pdf("营业执照.pdf", b"licence"))
    services.add_material(app, applicant, key="invoices", uploaded_file=pdf("发票.pdf", b"invoices"))
    services.update_draft(app, applicant, integrity_pledge=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(app, "submit", applicant)
    return app, applicant


def run_queue(*, later: bool = False) -> list[DBTaskResult]:
    """What a ``db_worker`` does, in this test's transaction: run every READY task (``later``: also those
    waiting for their time, as if the retry delay had passed), until none is left; returns the rows run."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = []
    while True:
        if later:
            DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        row = DBTaskResult.objects.ready().order_by("enqueued_at").first()
        if row is None:
            return ran
        row.claim(worker.worker_id)
        worker.run_task(row)
        ran.append(DBTaskResult.objects.get(pk=row.pk))
