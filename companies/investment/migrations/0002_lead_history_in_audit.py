"""Leads' history moves to the one audit log (invest.AuditEntry), then LeadEvent goes.

Most lead events already had an audit twin written in the same transaction (the lead's creation, each stage
change, an added agreement, a link made when the company arrived): those are left as they are, the lead page
reads them. The events without one — a lead created by an import, the link made when a lead settled with a
company already on file, and any other event whose twin cannot be found — are copied, with their time, actor,
stage change and comment, so the history shows the same lines as before.
"""

from datetime import timedelta

from django.db import migrations

#: LeadEvent.kind -> the event type (AuditEntry.action) of its audit twin; transitions are "lead.<key>".
ACTION_OF_KIND = {
    "created": "lead.create",
    "imported": "lead.imported",
    "linked": "lead.link_company",
    "agreement": "lead.add_agreement",
}
#: The lead's date a stage change sets, as the history reads it back (workflow.LeadTransition.date_field).
DATE_FIELD = {"contact": "contacted_on", "settle": "settled_on"}
#: How far apart a LeadEvent and its twin may be written (the same transaction: milliseconds).
TWIN_WINDOW = timedelta(seconds=10)


def _action(event) -> str:
    return f"lead.{event.transition}" if event.kind == "transition" else ACTION_OF_KIND[event.kind]


def _payload(event) -> tuple[dict | None, dict | None]:
    if event.kind == "transition":
        after = {"state": event.target}
        if event.occurred_on and event.transition in DATE_FIELD:
            after[DATE_FIELD[event.transition]] = event.occurred_on.isoformat()
        return {"state": event.source}, after
    if event.kind in ("created", "imported"):
        return None, {"state": event.target}
    if event.kind == "linked":
        return {"company": None}, {"company": event.lead.company_id}
    return None, None


def copy_events(apps, schema_editor):
    LeadEvent = apps.get_model("investment", "LeadEvent")
    AuditEntry = apps.get_model("invest", "AuditEntry")
    used: set[int] = set()
    for event in LeadEvent.objects.select_related("lead").order_by("at", "id").iterator():
        action = _action(event)
        twins = AuditEntry.objects.filter(
            target_type="investment.lead",
            target_id=str(event.lead_id),
            action=action,
            actor_id=event.actor_id,
            at__gte=event.at - TWIN_WINDOW,
            at__lte=event.at + TWIN_WINDOW,
        ).exclude(pk__in=used)
        twin = min(twins, key=lambda e: (abs(e.at - event.at), e.pk), default=None)
        if twin is not None:
            used.add(twin.pk)
            continue
        before, after = _payload(event)
        copy = AuditEntry.objects.create(
            actor_id=event.actor_id,
            actor_role="",  # LeadEvent did not record the role
            action=action,
            target_type="investment.lead",
            target_id=str(event.lead_id),
            before=before,
            after=after,
            reason=event.comment,
        )
        used.add(copy.pk)
        # `at` is auto_now_add; the copy keeps the time the event happened.
        AuditEntry.objects.filter(pk=copy.pk).update(at=event.at)


def copy_back(apps, schema_editor):
    """Unapplying recreates an empty LeadEvent table; the history stays in the audit log, which is append-only."""


class Migration(migrations.Migration):
    dependencies = [
        ("investment", "0001_initial"),
        ("invest", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_events, copy_back),
        migrations.DeleteModel(name="LeadEvent"),
    ]
