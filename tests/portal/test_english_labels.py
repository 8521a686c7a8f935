"""事项 means two things: the support item (扶持事项) a case is about, and the action a history row records.
With one msgid and one English word the history's column read "Item"; each use now carries a context."""

import re

from django.urls import reverse
from django.utils import translation

from invest.models import AuditEntry
from policies.models import Criterion, Invitation
from tests.factories.investment import LeadFactory


def column_headers(html: str) -> list[str]:
    return [h.strip() for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html, re.S)]


def label(model, field: str) -> str:
    return str(model._meta.get_field(field).verbose_name)


def test_field_labels_in_english_by_meaning_and_unchanged_in_chinese():
    with translation.override("en"):
        assert label(AuditEntry, "action") == "Action"
        assert label(Criterion, "item") == label(Invitation, "item") == "Item"
    with translation.override("zh-hans"):
        assert {label(AuditEntry, "action"), label(Criterion, "item")} == {"事项"}


def test_english_pages_say_action_over_a_history_and_item_over_support_items(client, staff, member, case_of):
    case_of(member, pending_decision=True)
    client.cookies["django_language"] = "en"

    client.force_login(staff["approver"])
    queue = column_headers(client.get(reverse("portal:workbench")).text)
    assert "Item" in queue and "事项" not in queue and "Action" not in queue

    client.force_login(staff["manager"])
    lead = LeadFactory()
    history = column_headers(client.get(reverse("investment:lead", args=[lead.pk])).text)
    assert "Action" in history and "Item" not in history and "事项" not in history

    client.cookies["django_language"] = "zh-hans"
    history = column_headers(client.get(reverse("investment:lead", args=[lead.pk])).text)
    assert "事项" in history
