import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.signals import case_transitioned, notice_batch_started


def make_pdf(name: str = "材料.pdf", body: bytes = b"content") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body + b"\n%%EOF\n", content_type="application/pdf")


@pytest.fixture
def pdf():
    return make_pdf


@pytest.fixture
def signals_seen():
    """Every case_transitioned / notice_batch_started sent during the test, as dicts."""
    seen = []

    def on_case(sender, **kwargs):
        seen.append({**kwargs, "signal": "case_transitioned"})

    def on_batch(sender, **kwargs):
        seen.append({**kwargs, "signal": "notice_batch_started"})

    case_transitioned.connect(on_case, weak=False)
    notice_batch_started.connect(on_batch, weak=False)
    yield seen
    case_transitioned.disconnect(on_case)
    notice_batch_started.disconnect(on_batch)
