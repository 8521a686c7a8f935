import subprocess

import pytest


@pytest.fixture(autouse=True)
def _documents_settings(settings, immediate_tasks):
    """Documents render at once (no worker), with the verification links of the real site."""
    settings.SITE_URL = "https://film.jiangjin.example"


def pdf_text(data: bytes) -> str:
    """The text of a PDF as pdftotext (poppler) reads it, with layout line breaks removed."""
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return "".join(result.stdout.decode("utf-8").split())
