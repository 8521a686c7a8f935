"""investment 0002 moves the lead history (LeadEvent) into the audit log without doubling a line."""

from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from companies.investment.models import Lead
from companies.investment.selectors import lead_history
from invest.models import AuditEntry

BEFORE = [("investment", "0001_initial")]
AFTER = [("investment", "0002_lead_history_in_audit")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


@pytest.mark.django_db(transaction=True)
def test_lead_events_become_audit_entries_and_their_twins_are_not_doubled():
    old = _migrate(BEFORE)
    User = old.get_model(settings.AUTH_USER_MODEL)
    boss = User.objects.create(username="history-boss")
    OldLead, LeadEvent = old.get_model("investment", "Lead"), old.get_model("investment", "LeadEvent")
    OldAudit = old.get_model("invest", "AuditEntry")
    lead = OldLead.objects.create(name="迁移线索", state="contacted", contacted_on=date(2026, 3, 2))

    def twin(action, **kw):
        OldAudit.objects.create(actor=boss, action=action, target_type="investment.lead", target_id=str(lead.pk), **kw)

    # Created by hand: the event and its twin; then an imported-style event, which never had a twin.
    LeadEvent.objects.create(lead=lead, kind="created", actor=boss, target="new")
    twin("lead.create", after={"state": "new"})
    LeadEvent.objects.create(lead=lead, kind="imported", actor=boss, target="new", comment="leads.xlsx")
    LeadEvent.objects.create(
        lead=lead,
        kind="transition",
        transition="contact",
        source="new",
        target="contacted",
        actor=boss,
        occurred_on=date(2026, 3, 2),
        comment="电话沟通",
    )
    twin(
        "lead.contact",
        before={"state": "new"},
        after={"state": "contacted", "contacted_on": "2026-03-02"},
        reason="电话沟通",
    )
    # A stage change whose twin is missing (written by hand into the database, say): copied with its data.
    LeadEvent.objects.create(
        lead=lead, kind="transition", transition="negotiate", source="contacted", target="negotiating", actor=boss
    )
    old_time = LeadEvent.objects.get(kind="imported").at
    assert OldAudit.objects.count() == 2

    new = _migrate(AFTER)

    assert "leadevent" not in {m._meta.model_name for m in new.get_app_config("investment").get_models()}
    entries = AuditEntry.objects.filter(target_id=str(lead.pk)).order_by("at", "id")
    assert [e.action for e in entries] == ["lead.create", "lead.imported", "lead.contact", "lead.negotiate"]
    imported = entries.get(action="lead.imported")
    assert (imported.at, imported.reason, imported.after) == (old_time, "leads.xlsx", {"state": "new"})
    history = lead_history(Lead.objects.get(pk=lead.pk))
    assert [(r.label, r.source, r.target, r.occurred_on, r.comment) for r in history] == [
        ("登记线索", "", "new", None, ""),
        ("批量导入", "", "new", None, "leads.xlsx"),
        ("记录首次接洽", "new", "contacted", date(2026, 3, 2), "电话沟通"),
        ("进入洽谈", "contacted", "negotiating", None, ""),
    ]
