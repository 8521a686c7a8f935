"""Another company's user, signed in, is refused at every URL of a case that is not theirs."""

from __future__ import annotations

import pytest

from tests.factories.companies import CompanyFactory, MembershipFactory

from .conftest import login
from .test_portal_flow import PASSWORD, catalogue, pdf_bytes, portal_settings  # noqa: F401
from .worlds import accepted_film_case


@pytest.mark.django_db(transaction=True)
def test_other_company_is_refused_at_each_case_url(page, live_server, catalogue):  # noqa: F811
    app, materials = accepted_film_case(company="重庆甲影视有限公司", username="jia", clerk="shouli2", title="电影《甲》")
    document = app.documents.get()

    MembershipFactory(company=CompanyFactory(name="重庆乙影视有限公司"), user__username="yi")
    login(page, "yi", PASSWORD)
    # The stranger's own pages work, and the case is not listed there.
    response = page.goto("/my/cases/")
    assert response.status == 200 and app.case_number not in page.content()
    for url, expected in (
        (f"/my/cases/{app.pk}/", 404),
        (f"/materials/{materials[0].pk}", 404),
        (f"/materials/{materials[0].pk}?inline=1", 404),
        (f"/documents/{document.pk}/download", 404),
        (f"/workbench/cases/{app.pk}/", 403),
        ("/workbench/", 403),
        ("/dashboard/", 403),
    ):
        response = page.goto(url)
        assert response.status == expected, (url, response.status)
        assert app.project_title not in page.content()
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for url in (
        f"/my/cases/{app.pk}/save",
        f"/my/cases/{app.pk}/submit",
        f"/my/cases/{app.pk}/withdraw",
        f"/my/cases/{app.pk}/evaluate",
        f"/my/cases/{app.pk}/materials/invoices",
        f"/workbench/cases/{app.pk}/act/accept",
    ):
        response = page.request.post(
            url, form={"pledge": "on", "comment": "x"}, headers={"X-CSRFToken": token, "Referer": page.url}
        )
        assert response.status in (403, 404), (url, response.status)
    app.refresh_from_db()
    assert app.state == "accepted"
    # The owner, by contrast, reaches the same URLs.
    login(page, "jia", PASSWORD)
    assert page.goto(f"/my/cases/{app.pk}/").status == 200
    download = page.request.get(f"/documents/{document.pk}/download")
    assert download.status == 200 and download.body().startswith(b"%PDF")
