"""The applicant's side before and between the reviews: drafts and their case numbers, the form, the
material files, and (re)submitting with the integrity pledge."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from companies.selectors import member_company_ids
from invest.audit import EventType, audit
from invest.roles import has_role

from .. import workdays, workflow
from ..models import Application, CaseCounter, CorrectionItem, Material
from .common import TransitionRefused, _actor_user, _clean_text, _money
from .transitions import perform


def _require_member(user, company: Company) -> None:
    if user is None or not has_role(user, "applicant"):
        raise TransitionRefused("not_your_role", _("只有申报单位的经办人可以填写申报。"))
    if company.pk not in member_company_ids(user):
        raise TransitionRefused(
            "not_your_case",
            _("您不是该企业已确认的成员，不能代其申报。请先申请加入企业并等待管理员确认。"),
        )


def _next_case_number(year: int) -> str:
    """Case numbers come from a counter row locked in this transaction (the unique case_number has the last word)."""
    CaseCounter.objects.get_or_create(year=year)
    counter = CaseCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"JJYS-{year}-{counter.last:05d}"


def create_draft(
    actor,
    *,
    company: Company,
    item,
    round,
    project_title: str,
    facts: dict | None = None,
    work_key: str = "",
    requested_amount: Any = None,
) -> Application:
    user = _actor_user(actor)
    _require_member(user, company)
    if company.is_banned():
        raise TransitionRefused(
            "company_banned",
            _("本单位因失信被禁止申报至 %(until)s，禁入期内不能申报。") % {"until": company.banned_until},
        )
    if getattr(item, "policy_id", None) and getattr(round, "policy_id", None) and item.policy_id != round.policy_id:
        raise TransitionRefused("wrong_round", _("该扶持项目不属于所选申报批次的政策。"))
    project_title = _clean_text(project_title)
    if not project_title:
        raise TransitionRefused("title_required", _("请填写项目或作品名称。"))
    with transaction.atomic():
        app = Application.objects.create(
            case_number=_next_case_number(workdays.today().year),
            company=company,
            item=item,
            round=round,
            project_title=str(project_title).strip(),
            work_key=str(work_key).strip(),
            facts=dict(facts or {}),
            requested_amount=None if requested_amount in (None, "") else _money(requested_amount),
            created_by=user,
        )
        audit(
            user,
            EventType.CASE_CREATE,
            app,
            after={"state": app.state, "item": item.pk, "round": round.pk},
            role="applicant",
        )
    return app


def update_draft(
    application: Application,
    actor,
    *,
    facts: dict | None = None,
    project_title: str | None = None,
    requested_amount: Any = None,
    integrity_pledge: bool | None = None,
) -> Application:
    """Edit a draft; during a correction only the facts the correction notice names may change."""
    user = _actor_user(actor)
    with transaction.atomic():
        app = Application.objects.select_for_update(of=("self",)).select_related("company").get(pk=application.pk)
        _require_member(user, app.company)
        if app.state == "correction_requested":
            if project_title is not None or requested_amount is not None:
                raise TransitionRefused("wrong_stage", _("补正期间只能修改补正通知中列出的事项。"))
            allowed = {i.key: i for i in app.unanswered_correction_items() + _answered_items(app) if i.kind == "fact"}
            changed = {k for k, v in (facts or {}).items() if app.facts.get(k) != v}
            outside = changed - set(allowed)
            if outside:
                raise TransitionRefused(
                    "not_in_correction",
                    _("补正期间只能修改补正通知中列出的事项，以下事项未列出：%(keys)s。")
                    % {"keys": "、".join(sorted(outside))},
                )
            for key in changed:
                CorrectionItem.objects.filter(pk=allowed[key].pk).update(answered=True)
        elif app.state != "draft":
            raise TransitionRefused(
                "wrong_stage", _("案件已提交（当前“%(state)s”），不能再修改。") % {"state": app.state_label}
            )
        before = {"facts": app.facts, "project_title": app.project_title, "requested_amount": app.requested_amount}
        if facts is not None:
            app.facts = {**app.facts, **facts}
        if project_title is not None:
            app.project_title = str(project_title).strip()
        if requested_amount is not None:
            app.requested_amount = _money(requested_amount)
        if integrity_pledge is not None:
            app.integrity_pledge_at = timezone.now() if integrity_pledge else None
        app.save()
        audit(
            user,
            EventType.CASE_UPDATE,
            app,
            before=before,
            after={"facts": app.facts, "project_title": app.project_title, "requested_amount": app.requested_amount},
            role="applicant",
        )
    application.refresh_from_db()
    return app


def _answered_items(app: Application) -> list[CorrectionItem]:
    request = app.open_correction()
    return [i for i in request.items.all() if i.answered] if request else []


def add_material(application: Application, actor, *, key: str, uploaded_file) -> Material:
    """Store one material file through the upload checks; a replacement keeps the older file.

    In a draft any material of the item may be uploaded or replaced; during a correction only those the
    correction notice lists.
    """
    from invest.uploads import (
        ALL_KINDS,
        check_case_total,
        files_removed_on_failure,
        random_storage_name,
        validate_upload,
    )

    user = _actor_user(actor)
    # The file is written before the rows that point to it; if anything after it fails, the transaction
    # rolls back and files_removed_on_failure deletes the file again. Durable: the rollback that matters is
    # this transaction's, not a caller's that could come after the file was kept.
    with files_removed_on_failure() as store, transaction.atomic(durable=True):
        app = (
            Application.objects.select_for_update(of=("self",)).select_related("company", "item").get(pk=application.pk)
        )
        _require_member(user, app.company)
        specs = {m["key"]: m for m in (app.item.materials or [])}
        if key not in specs:
            raise TransitionRefused("unknown_material", _("“%(key)s”不是本项目要求的材料。") % {"key": key})
        correction_item = None
        if app.state == "correction_requested":
            request = app.open_correction()
            correction_item = (
                request.items.filter(kind=CorrectionItem.Kind.MATERIAL, key=key).first() if request else None
            )
            if correction_item is None:
                raise TransitionRefused("not_in_correction", _("补正期间只能重新上传补正通知中列出的材料。"))
        elif app.state != "draft":
            raise TransitionRefused(
                "wrong_stage", _("案件已提交（当前“%(state)s”），不能再更换材料。") % {"state": app.state_label}
            )
        accepted = set(specs[key].get("accepted_types") or []) & set(ALL_KINDS) or None
        try:
            detected = validate_upload(uploaded_file, allowed_kinds=accepted)
            existing = sum(app.current_materials().exclude(key=key).values_list("size", flat=True))
            check_case_total(existing, detected.size)
        except ValidationError as exc:
            # A scanner that cannot be asked is our fault, not the file's: the page and the API say "try later".
            code = "scanner_unavailable" if exc.code == "scanner_unavailable" else "invalid_file"
            raise TransitionRefused(code, " ".join(exc.messages))
        stored = store(random_storage_name(detected.kind), uploaded_file)
        now = timezone.now()
        old = list(app.current_materials().filter(key=key))
        app.current_materials().filter(key=key).update(superseded_at=now)
        material = Material.objects.create(
            application=app,
            key=key,
            revision=app.revision + (1 if app.state == "correction_requested" else 0),
            file=stored,
            original_name=detected.safe_name,
            kind=detected.kind,
            size=detected.size,
            sha256=detected.sha256,
            uploaded_by=user,
        )
        if correction_item is not None:
            CorrectionItem.objects.filter(pk=correction_item.pk).update(answered=True)
        audit(
            user,
            EventType.CASE_MATERIAL,
            app,
            before={"key": key, "sha256": [m.sha256 for m in old]} if old else None,
            after={"key": key, "sha256": detected.sha256, "name": detected.safe_name},
            role="applicant",
        )
    return material


def use_company_document(application: Application, actor, *, key: str) -> Material:
    """Give the case the company's current document for a reusable material (单位证照库) instead of an upload.

    The case's Material names the document's stored file and copies its hash now; at submission the revision
    keeps that hash (effects._keep_revision), and a later replacement in the store is a new file, so a submitted
    case never changes. An expired document cannot be chosen. Same stage rules as add_material.
    """
    from companies.documents import current_documents, reusable_kind
    from invest.uploads import check_case_total

    user = _actor_user(actor)
    with transaction.atomic():
        app = (
            Application.objects.select_for_update(of=("self",)).select_related("company", "item").get(pk=application.pk)
        )
        _require_member(user, app.company)
        specs = {m["key"]: m for m in (app.item.materials or [])}
        if key not in specs:
            raise TransitionRefused("unknown_material", _("“%(key)s”不是本项目要求的材料。") % {"key": key})
        label = specs[key].get("label") or key
        kind = reusable_kind(specs[key])
        if not kind:
            raise TransitionRefused(
                "not_reusable", _("“%(label)s”不能从单位证照库选用，请直接上传文件。") % {"label": label}
            )
        correction_item = None
        if app.state == "correction_requested":
            request = app.open_correction()
            correction_item = (
                request.items.filter(kind=CorrectionItem.Kind.MATERIAL, key=key).first() if request else None
            )
            if correction_item is None:
                raise TransitionRefused("not_in_correction", _("补正期间只能重新提供补正通知中列出的材料。"))
        elif app.state != "draft":
            raise TransitionRefused(
                "wrong_stage", _("案件已提交（当前“%(state)s”），不能再更换材料。") % {"state": app.state_label}
            )
        document = current_documents(app.company).get(kind)
        if document is None:
            raise TransitionRefused(
                "no_company_document",
                _("单位证照库中还没有“%(label)s”。请先在“单位证照”页上传，或在此直接上传文件。") % {"label": label},
            )
        if not document.is_valid_on(workdays.today()):
            raise TransitionRefused(
                "company_document_expired",
                _(
                    "单位证照库中的“%(label)s”已于 %(date)s 过期，不能选用。请先在“单位证照”页更换为有效的证照，或在此直接上传。"
                )
                % {"label": label, "date": document.valid_until},
            )
        try:
            existing = sum(app.current_materials().exclude(key=key).values_list("size", flat=True))
            check_case_total(existing, document.size)
        except ValidationError as exc:
            raise TransitionRefused("invalid_file", " ".join(exc.messages))
        old = list(app.current_materials().filter(key=key))
        app.current_materials().filter(key=key).update(superseded_at=timezone.now())
        material = Material.objects.create(
            application=app,
            key=key,
            revision=app.revision + (1 if app.state == "correction_requested" else 0),
            file=document.file.name,
            original_name=document.original_name,
            kind=document.file_kind,
            size=document.size,
            sha256=document.sha256,
            company_document=document,
            uploaded_by=user,
        )
        if correction_item is not None:
            CorrectionItem.objects.filter(pk=correction_item.pk).update(answered=True)
        audit(
            user,
            EventType.CASE_MATERIAL,
            app,
            before={"key": key, "sha256": [m.sha256 for m in old]} if old else None,
            after={
                "key": key,
                "sha256": document.sha256,
                "name": document.original_name,
                "company_document": document.pk,
            },
            role="applicant",
        )
    return material


def submit(application: Application, actor, *, pledge: bool) -> Application:
    """The applicant submits a draft, or resubmits after a correction, ticking the integrity pledge (诚信承诺)
    at this very submission.

    The pledge and the submission are one transaction: a refused submission (pledge not ticked, material
    missing, round closed …) leaves the case exactly as it was, with no pledge stored and no audit row.
    """
    # Where there is nothing to submit, perform refuses the first submission with the usual wrong-stage reason.
    spec = workflow.submission_from(application.state) or next(t for t in workflow.TRANSITIONS if t.submission)
    if not pledge:
        raise TransitionRefused("pledge_missing", workflow.CONDITIONS["pledge_accepted"].reason)
    with transaction.atomic():
        Application.objects.filter(pk=application.pk, state=application.state).update(
            integrity_pledge_at=timezone.now()
        )
        return perform(application, spec.key, actor)
