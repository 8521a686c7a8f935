"""The same objection posted again (a double click, a browser retry) is one objection (issue 14, item 7).

Three identical posts of the public objection form made three rows, three audit entries and three messages
for the approver. Identical objections (same case, name, contact and text) within ten minutes are now one;
a different text, another person, or the same text much later is a new objection. The simultaneous case is
in tests/applications/test_objection_concurrency.py (PostgreSQL, threads).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Objection
from applications.services import OBJECTION_REPEAT_WINDOW
from invest.models import AuditEntry

pytestmark = pytest.mark.django_db

OBJECTION = {"name": "李明", "contact": "13800000000", "content": "拍摄天数不实，实际只拍了 20 天。"}


def test_the_same_objection_posted_three_times_is_one_objection(client, member, case_of):
    app = case_of(member, in_public_notice=True)
    url = reverse("portal:objection", args=[app.pk])
    answers = [client.post(url, OBJECTION) for _ in range(3)]
    assert [a.status_code for a in answers] == [302, 302, 302]  # each poster is told it was received
    assert Objection.objects.filter(application=app).count() == 1
    assert AuditEntry.objects.filter(action="case.file_objection").count() == 1
    app.refresh_from_db()
    assert app.state == "objection_review"
    # surrounding spaces do not make it a different objection
    client.post(url, {**OBJECTION, "name": " 李明 ", "content": OBJECTION["content"] + "  "})
    assert Objection.objects.filter(application=app).count() == 1


def test_a_different_objection_or_the_same_one_much_later_is_a_new_one(client, member, case_of):
    app = case_of(member, in_public_notice=True)
    url = reverse("portal:objection", args=[app.pk])
    client.post(url, OBJECTION)
    client.post(url, {**OBJECTION, "content": "另有一处不实：演员名单。"})
    client.post(url, {**OBJECTION, "name": "王芳", "contact": "wang@example.com"})
    assert Objection.objects.filter(application=app).count() == 3
    Objection.objects.update(filed_at=timezone.now() - OBJECTION_REPEAT_WINDOW - timedelta(minutes=1))
    client.post(url, OBJECTION)
    assert Objection.objects.filter(application=app).count() == 4
