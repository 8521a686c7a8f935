"""免申即享 in one step: an invitation whose item needs nothing the registry and the company's document store do
not already hold is confirmed (确认申报) into a submitted case, with no re-entry.

Whether an item qualifies is read from its data, not from a list of codes: every fact its form asks for, its
criteria and its amount formula read are registry facts (policies.variables, source ``registry``), and every
required material is one the company keeps once (``reusable``, policies.catalogue) and holds, valid today, in
its store (companies.documents). The case is made by the services a normal application goes through
(create_draft, use_company_document, submit → perform), so its snapshot, revision, deadline, audit entries and
notices are the same as those of an application filled in by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from .expressions import compile_rule, symbols
from .models import Invitation, SupportItem
from .services import company_facts, item_rules, mark_invitation_started
from .variables import REGISTRY, REGISTRY_KEYS, VARIABLES


def _reads(item: SupportItem) -> set[str]:
    """Every fact the item's form asks for and its criteria and amount read."""
    rules = item_rules(item)
    texts = [c["expression"] for c in rules["criteria"]] + [rules["amount_expression"]]
    names = {spec.get("key") for spec in item.form_fields or []}
    for text in texts:
        if text:
            names |= symbols(compile_rule(text))
    return names


def registry_sourced(item: SupportItem) -> bool:
    """Every fact the item's form asks for and its rules read comes from the company registry."""
    for spec in item.form_fields or []:
        variable = VARIABLES.get(spec.get("key"))
        if variable is None or variable.source != REGISTRY:
            return False
    return _reads(item) <= REGISTRY_KEYS


def registry_reads(item: SupportItem) -> list[str]:
    """The registry facts the item's form and rules read, in the registry's order (what the page shows)."""
    names = _reads(item)
    return [key for key in VARIABLES if key in names and key in REGISTRY_KEYS]


@dataclass
class Offer:
    """Whether the invitation can be confirmed in one step; if not, why (a sentence for the page)."""

    possible: bool
    reason: str = ""
    #: (label, document) of each required material, taken from the company's document store.
    documents: list = field(default_factory=list)
    #: The labels of the required materials the company does not hold (or holds expired).
    missing: list = field(default_factory=list)


def offer(invitation: Invitation) -> Offer:
    from applications.workdays import today
    from companies.documents import current_documents, reusable_kind

    item = invitation.item
    if invitation.status != Invitation.Status.NEW:
        return Offer(False, _("该推送已发起申报或已忽略，请在“我的申报”中继续办理。"))
    if not registry_sourced(item):
        return Offer(False, _("该事项需要填写企业登记信息以外的申报数据，请按常规流程填写申报表。"))
    held = current_documents(invitation.company)
    on = today()
    documents, missing = [], []
    for spec in item.materials or []:
        if not spec.get("required"):
            continue
        label = spec.get("label") or spec["key"]
        kind = reusable_kind(spec)
        document = held.get(kind) if kind else None
        if document is None or not document.is_valid_on(on):
            missing.append(label)
        else:
            documents.append((spec["key"], label, document))
    if missing:
        return Offer(
            False,
            _("该事项需要以下材料，单位证照库中尚无有效文件：%(labels)s。请按常规流程申报并上传材料。")
            % {"labels": "、".join(missing)},
            documents,
            missing,
        )
    return Offer(True, "", documents, [])


def project_title(invitation: Invitation) -> str:
    return _("%(company)s %(item)s") % {"company": invitation.company.name, "item": invitation.item.name}


def confirm(invitation: Invitation, user, *, pledge: bool):
    """Create the case of ``invitation`` and submit it at once: the registry facts, the store's documents and the
    pledge ticked now. Raises TransitionRefused (nothing is kept) when a step refuses."""
    from applications import services
    from applications.services import TransitionRefused

    if not pledge:
        from applications import workflow

        raise TransitionRefused("pledge_missing", workflow.CONDITIONS["pledge_accepted"].reason)
    checked = offer(invitation)
    if not checked.possible:
        raise TransitionRefused("not_instant", checked.reason)
    facts = {
        spec["key"]: company_facts(invitation.company).get(spec["key"]) for spec in invitation.item.form_fields or []
    }
    with transaction.atomic():
        # One case per invitation: a second press of 确认申报 (a double click, another tab) waits for the first
        # and then finds the invitation started.
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status != Invitation.Status.NEW:
            raise TransitionRefused("not_instant", _("该推送已发起申报，请在“我的申报”中查看。"))
        app = services.create_draft(
            user,
            company=invitation.company,
            item=invitation.item,
            round=invitation.round,
            project_title=project_title(invitation),
            facts={k: (str(v) if v is not None and not isinstance(v, bool | str) else v) for k, v in facts.items()},
        )
        for key, _label, _document in checked.documents:
            services.use_company_document(app, user, key=key)
        services.submit(app, user, pledge=True)
        mark_invitation_started(locked, user)
    app.refresh_from_db()
    return app
