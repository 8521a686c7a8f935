"""What the portal's pages share: the role gate, pagination, public links, and the rows a case page shows
(deadline, facts, materials, the amount and conditions)."""

from __future__ import annotations

from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from applications.models import Application, Material
from applications.workdays import WorkingCalendar, today
from invest.paging import CappedPaginator
from invest.roles import has_role, user_roles
from policies.services import display_value, evaluate_item

from ..forms import (
    KIND_LABELS,
    accept_attribute,
)


def role_required(*roles: str):
    """Signed-in users with one of the roles; others are sent to log in or refused with 403.

    A company user on an applicant page who is not (yet) a confirmed member has no role at all: they are
    sent to "my companies", which explains where their request stands and what to do next.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                if "applicant" in roles and not user_roles(request.user):
                    return redirect(f"{reverse('companies:mine')}?{urlencode({'next': request.get_full_path()})}")
                raise PermissionDenied(_("您没有访问此页面的权限。"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def optional_url(*names: str, args: tuple = ()) -> str:
    """The first of these URL names that exists (other areas' pages may arrive later), or ''."""
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def public_links() -> dict[str, str]:
    return {
        "catalogue_url": optional_url("policies:catalogue", "policies:list", "policies:index"),
        "calculator_url": optional_url("policies:calculator", "policies:calculate"),
        "verify_url": optional_url("documents:verify_form"),
        "notices_url": reverse("portal:notices"),
    }


#: Rows per page of the reviewer queue and of an applicant's case list.
QUEUE_PAGE_SIZE = 50
CASES_PAGE_SIZE = 20


def paginate(request: HttpRequest, rows, per_page: int, *, parts=None) -> tuple[Page, str]:
    """One page of rows (?page=N, out-of-range numbers show the nearest page) and the query string
    without the page number, for the page links to keep the filters. The count stops at
    invest.paging.COUNT_CAP rows (a list longer than that offers its first COUNT_CAP rows and says about how
    many there are), so a page costs the same at a million cases as at ten thousand. ``parts``: the rows one
    stage at a time (see CappedPaginator)."""
    page = CappedPaginator(rows, per_page, parts=parts).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def deadline_info(app: Application, *, now=None, calendar: WorkingCalendar | None = None) -> dict[str, Any] | None:
    if not app.due_date:
        return None
    labels = {
        "acceptance": _("受理期限"),
        "correction": _("补正期限"),
        "public_notice": _("公示截止"),
    }
    if app.state == "objection_review":
        # The notice is held while an objection is checked: no countdown (it restarts when dismissed).
        return {"label": _("公示暂停（异议核查中）"), "date": None, "overdue": False, "left": None, "paused": True}
    now = now or today()
    calendar = calendar or WorkingCalendar()
    overdue = app.due_date < now
    left = 0 if overdue else calendar.working_days_between(now, app.due_date)
    return {"label": labels.get(app.due_kind, _("期限")), "date": app.due_date, "overdue": overdue, "left": left}


def fact_rows(app: Application, facts: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    facts = app.facts if facts is None else facts
    rows = []
    for spec in app.item.form_fields or []:
        value = facts.get(spec["key"])
        rows.append({"key": spec["key"], "label": spec.get("label") or spec["key"], "value": show_value(spec, value)})
    return rows


def show_value(spec: dict[str, Any], value: Any) -> str:
    if value in (None, ""):
        return _("未填写")
    if spec.get("type") == "boolean":
        return _("是") if value in (True, "true", "True", "1", 1) else _("否")
    if spec.get("type") == "number":
        try:
            number = Decimal(str(value))
        except Exception:
            return str(value)
        unit = spec.get("unit") or ""
        if unit == "元":
            return f"{number:,.2f} {unit}"
        text = f"{number:,}" if number == number.to_integral_value() else f"{number:,f}"
        return f"{text} {unit}".strip()
    return display_value(spec["key"], value)


def material_rows(
    app: Application, *, correction_keys: set[str] | None = None, answered_keys: set[str] = frozenset()
) -> list[dict[str, Any]]:
    current = {m.key: m for m in app.current_materials()}
    history: dict[str, list[Material]] = {}
    for m in app.materials.filter(superseded_at__isnull=False).order_by("uploaded_at"):
        history.setdefault(m.key, []).append(m)
    rows = []
    for spec in app.item.materials or []:
        key = spec["key"]
        types = spec.get("accepted_types") or list(KIND_LABELS)
        rows.append(
            {
                "key": key,
                "label": spec.get("label") or key,
                "required": bool(spec.get("required")),
                "types": "、".join(KIND_LABELS.get(t, t) for t in types),
                "accept": accept_attribute(types),
                "current": current.get(key),
                "history": history.get(key, []),
                # May be uploaded again during the correction; "needs" until a new file has come in.
                "in_correction": correction_keys is not None and key in correction_keys,
                "corrected": correction_keys is not None and key in correction_keys and key in answered_keys,
            }
        )
    return rows


def evaluation_context(app: Application) -> dict[str, Any]:
    """Amount and conditions: from the stored snapshot once submitted, live for a draft."""
    if app.snapshot and app.snapshot.get("result"):
        result = app.snapshot["result"]
        return {
            "from_snapshot": True,
            "eligible": result.get("eligible"),
            "amount": Decimal(str(result.get("amount") or "0")),
            "computed": result.get("computed_amount"),
            "capped_by": result.get("capped_by"),
            "criteria": result.get("criteria") or [],
            "evaluated_at": app.snapshot.get("evaluated_at", ""),
        }
    try:
        evaluation = evaluate_item(app.item, company=app.company, facts=dict(app.facts or {}))
    except ValidationError as exc:
        return {"error": " ".join(exc.messages)}
    return {
        "from_snapshot": False,
        "eligible": evaluation.eligible,
        "amount": evaluation.amount,
        "criteria": evaluation.criteria,
        "capped_by": evaluation.capped_by,
    }
