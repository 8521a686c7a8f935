"""Documents over the API: a case's documents, the PDF for those allowed to read it, public verification."""

from __future__ import annotations

import pytest

from applications.documents.models import Document
from applications.documents.services import render_document
from tests.factories.companies import MembershipFactory

from .conftest import client_for, submitted_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(applicant_api, company, open_round, staff) -> dict:
    case = submitted_case(applicant_api, company)
    response = staff["clerk"].post(f"/api/v1/applications/{case['id']}/transitions/accept/", {}, format="json")
    assert response.status_code == 200
    return case


def test_case_documents_are_listed_for_the_applicant(applicant_api, accepted):
    response = applicant_api.get(f"/api/v1/applications/{accepted['id']}/documents/")
    assert response.status_code == 200
    documents = response.json()["results"]
    assert [d["kind"] for d in documents] == ["acceptance_notice"]
    assert documents[0]["number"].startswith("江津影扶受〔") and documents[0]["valid"] is True
    assert documents[0]["pdf_ready"] is False


def test_another_companys_documents_are_404(accepted, roles):
    stranger = client_for(MembershipFactory().user)
    assert stranger.get(f"/api/v1/applications/{accepted['id']}/documents/").status_code == 404
    document = Document.objects.get()
    assert stranger.get(f"/api/v1/documents/{document.pk}/pdf").status_code == 404


def test_pdf_is_202_until_rendered_then_the_file(applicant_api, accepted):
    document = Document.objects.get()
    pending = applicant_api.get(f"/api/v1/documents/{document.pk}/pdf")
    assert pending.status_code == 202
    assert pending.json()["code"] == "pending" and pending["Retry-After"] == "5"

    render_document(document.pk)
    response = applicant_api.get(f"/api/v1/documents/{document.pk}/pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_pdf_needs_a_login_and_missing_ones_are_404(api, staff):
    assert api.get("/api/v1/documents/1/pdf").status_code == 401
    response = staff["manager"].get("/api/v1/documents/999999/pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_anyone_verifies_a_document_by_its_printed_code(api, accepted, company):
    document = Document.objects.get()
    code = document.verification_code
    typed = "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower()
    response = api.get(f"/api/v1/verify/{typed}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == document.number and body["valid"] is True
    assert body["company_name"] == company.name
    assert "verification_code" not in body


def test_an_unknown_code_is_404(api, db):
    response = api.get("/api/v1/verify/ABCD-EFGH-JKMN-PQRS")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api.get("/api/v1/verify/x").status_code == 404
