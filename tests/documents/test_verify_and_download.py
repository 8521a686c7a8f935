"""The public verification page and the permission-checked download."""

import hashlib
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from applications.documents.constants import DocumentKind
from applications.documents.models import Document
from applications.documents.services import render_document
from tests.factories import UserFactory
from tests.factories.applications import ApplicationFactory
from tests.factories.companies import member_of
from tests.factories.documents import DocumentFactory

from .conftest import pdf_text


@pytest.fixture
def decision(db):
    app = ApplicationFactory(box_office=True, approved=True, company__name="重庆核验影视有限公司")
    return DocumentFactory(application=app, rendered=True)


@pytest.mark.django_db
def test_verify_page_shows_a_valid_document(client, decision):
    response = client.get(reverse("documents:verify", args=[decision.verification_code]))
    assert response.status_code == 200
    html = response.content.decode()
    for expected in ("扶持资金审批决定书", decision.number, "重庆核验影视有限公司", "¥1,000,000.00", decision.sha256):
        assert expected in html, expected
    assert "有效" in html and "已撤销" not in html


@pytest.mark.django_db
def test_verify_accepts_the_code_as_printed_in_groups_and_lower_case(client, decision):
    code = decision.verification_code
    typed = "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower()
    assert client.get(reverse("documents:verify", args=[typed])).status_code == 200


@pytest.mark.django_db
def test_verify_page_says_revoked_after_a_clawback(client):
    document = DocumentFactory(application=ApplicationFactory(box_office=True, approved=True), revoked=True)
    html = client.get(reverse("documents:verify", args=[document.verification_code])).content.decode()
    assert "已撤销" in html
    assert "本文书已被撤销" in html


@pytest.mark.django_db
def test_unknown_codes_all_get_the_same_not_found_page(client, decision):
    wrong = "2" * 16 if decision.verification_code != "2" * 16 else "3" * 16
    responses = [client.get(reverse("documents:verify", args=[code])) for code in (wrong, "nonsense", "x" * 200)]
    assert [r.status_code for r in responses] == [404, 404, 404]
    bodies = {
        re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", r.content.decode()).replace(r.wsgi_request.path, "")
        for r in responses
    }
    assert len(bodies) == 1
    assert "未找到" in responses[0].content.decode()
    assert decision.number not in responses[0].content.decode()


@pytest.mark.django_db
def test_a_member_downloads_their_own_document_and_the_bytes_match_the_hash(client, decision):
    client.force_login(member_of(decision.application.company))
    response = client.get(reverse("documents:download", args=[decision.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == decision.sha256
    assert decision.number in pdf_text(body)


@pytest.mark.django_db
def test_another_companys_user_cannot_download(client, decision):
    stranger = member_of(ApplicationFactory(box_office=True, submitted=True).company)
    client.force_login(stranger)
    assert client.get(reverse("documents:download", args=[decision.pk])).status_code == 404


@pytest.mark.django_db
def test_an_unconfirmed_member_and_an_anonymous_visitor_cannot_download(client, decision):
    from tests.factories import MembershipFactory

    pending = MembershipFactory(company=decision.application.company, status="requested").user
    client.force_login(pending)
    assert client.get(reverse("documents:download", args=[decision.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("documents:download", args=[decision.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), [("reviewer", True), ("auditor", True), ("expert", False)])
def test_office_roles_download_experts_only_when_assigned(client, roles, decision, role, allowed):
    client.force_login(UserFactory(roles=[role]))
    assert (client.get(reverse("documents:download", args=[decision.pk])).status_code == 200) is allowed


@pytest.mark.django_db
def test_an_assigned_expert_downloads(client, roles, decision):
    from applications.models import ExpertAssignment

    expert = UserFactory(roles=["expert"])
    assignment = ExpertAssignment.objects.create(application=decision.application, expert=expert)
    client.force_login(expert)
    # Not before the conflict-of-interest declaration (tests/experts), then like the case's materials.
    assert client.get(reverse("documents:download", args=[decision.pk])).status_code == 404  # refused, unnamed
    assignment.declaration = ExpertAssignment.Declaration.NONE
    assignment.save()
    assert client.get(reverse("documents:download", args=[decision.pk])).status_code == 200


@pytest.mark.django_db
def test_download_says_being_generated_until_the_file_exists(client):
    document = DocumentFactory(application=ApplicationFactory(box_office=True, approved=True))
    client.force_login(member_of(document.application.company))
    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 202
    assert "正在生成" in response.content.decode()
    html = render_to_string("documents/includes/case_documents.html", {"application": document.application})
    assert "正在生成" in html and document.number in html
    render_document(document.pk)
    html = render_to_string("documents/includes/case_documents.html", {"application": document.application})
    assert reverse("documents:download", args=[document.pk]) in html


@pytest.mark.django_db
def test_no_public_media_url_serves_documents(client, decision):
    assert client.get("/media/" + decision.file.name).status_code == 404
    assert client.get("/" + decision.file.name).status_code == 404
    assert Document.objects.get(pk=decision.pk).kind == DocumentKind.APPROVAL_DECISION


@pytest.mark.django_db
def test_a_stored_file_that_no_longer_matches_its_hash_is_not_served(client, decision):
    with decision.file.storage.open(decision.file.name, "wb") as fh:
        fh.write(b"%PDF-1.7 tampered")
    client.force_login(member_of(decision.application.company))
    response = client.get(reverse("documents:download", args=[decision.pk]))
    assert response.status_code == 500
    assert b"tampered" not in response.content
    assert "校验失败" in response.content.decode()
