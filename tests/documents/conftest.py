import subprocess

import pytest


@pytest.fixture(autouse=True)
def _documents_settings(settings, tmp_path):
    """Files in a throw-away folder; tasks run immediately in tests (no worker)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://film.jiangjin.example"


def pdf_text(data: bytes) -> str:
    """The text of a PDF as pdftotext (poppler) reads it, with layout line breaks removed."""
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return "".join(result.stdout.decode("utf-8").split())
