"""Evaluating a support item for one company and one set of facts: the one function behind the calculator, the
application form, the API, `evaluate_item` and proactive matching.

The result explains itself: every criterion with whether it passed and the values it saw, so an applicant reads
`在江津拍摄天数 12 天，少于 15 天` rather than "not eligible"."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import rule_engine
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from invest.money import figures, to_fen

from .expressions import compile_rule, symbols
from .variables import BOOLEAN, CHOICE, DATE, NUMBER, VARIABLES, number_problem

SHANGHAI = ZoneInfo("Asia/Shanghai")
BAN_LABEL = "未处于失信禁入期"


# --- facts -------------------------------------------------------------------------------------------------------


def company_facts(company) -> dict[str, Any]:
    """The registry facts of a company, under the variable names rules use."""
    return {
        "registration_district": company.registration_district or "",
        "tax_district": company.tax_district or "",
        "established_on": company.established_on,
        "paid_in_capital": company.paid_in_capital,
        "in_hq_park": bool(company.in_hq_park),
        "banned_until": company.banned_until,
    }


def _to_number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        value = repr(value)
    number = Decimal(str(value).replace(",", "").strip())
    if not number.is_finite():
        raise ValueError
    return number


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on", "是", "y"):
        return True
    if text in ("false", "0", "no", "off", "否", "n", ""):
        return False
    raise ValueError


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def normalize_facts(facts: dict[str, Any], *, check_ranges: bool = True) -> dict[str, Any]:
    """Facts coerced to their variable's type (numbers to Decimal, never float). Unknown keys are kept as given;
    an empty value counts as not given. A value of the wrong type, or a number outside its variable's range
    (negative, fractional days, 10^20 shooting days), raises ValidationError naming the field. Stored snapshots
    are re-read with `check_ranges=False`: a submitted case is judged as it was submitted."""
    result: dict[str, Any] = {}
    for key, value in (facts or {}).items():
        variable = VARIABLES.get(key)
        if variable is None:
            result[key] = value
            continue
        if value is None or (isinstance(value, str) and value.strip() == "" and variable.type != BOOLEAN):
            result[key] = None
            continue
        try:
            if variable.type == NUMBER:
                number = _to_number(value)
                problem = number_problem(variable, number) if check_ranges else ""
                if problem:
                    raise ValidationError(problem, code="fact_out_of_range")
                result[key] = number
            elif variable.type == BOOLEAN:
                result[key] = _to_bool(value)
            elif variable.type == DATE:
                result[key] = _to_date(value)
            elif variable.type == CHOICE:
                text = str(value).strip()
                if text not in dict(variable.choices):
                    raise ValueError
                result[key] = text
            else:
                result[key] = str(value).strip()
        except (ValueError, InvalidOperation, TypeError) as exc:
            raise ValidationError(
                _("“%(label)s”的值“%(value)s”无法识别，请填写正确的%(kind)s。")
                % {"label": variable.label, "value": value, "kind": _kind_label(variable.type)},
                code="invalid_fact",
            ) from exc
    return result


def _kind_label(kind: str) -> str:
    return {NUMBER: _("数字"), BOOLEAN: _("是或否"), DATE: _("日期（如 2026-01-31）"), CHOICE: _("选项")}.get(
        kind, _("文字")
    )


def _engine_value(key: str, value: Any) -> Any:
    """rule-engine compares DATETIME values; a date becomes midnight in Shanghai."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), tzinfo=SHANGHAI)
    return value


def display_value(key: str, value: Any) -> str:
    """How a fact reads in a message: 12, 500,000.00, 是/否, 2026-01-31, 未填写."""
    if value is None:
        return _("未填写")
    variable = VARIABLES.get(key)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Decimal | int | float):
        number = Decimal(str(value))
        if variable is not None and str(variable.unit) == "元":
            return figures(number)
        if number == number.to_integral_value():
            return f"{int(number):,}" if abs(number) >= 10000 else str(int(number))
        return format(number.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if variable is not None and variable.choices:
        return str(dict(variable.choices).get(value, value))
    return str(value)


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_message(template: str, facts: dict[str, Any]) -> str:
    values = _Values({key: display_value(key, facts.get(key)) for key in VARIABLES})
    try:
        return (template or "").format_map(values)
    except (ValueError, IndexError):
        return template


# --- evaluation --------------------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    item_code: str
    eligible: bool
    amount: Decimal
    criteria: list[dict[str, Any]]
    computed_amount: Decimal | None = None
    capped_by: str = ""
    amount_message: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, Any] = field(default_factory=dict)
    evaluated_at: str = ""

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [c for c in self.criteria if not c["passed"]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the `evaluate_item` command and the API."""
        return {
            "item": self.item_code,
            "eligible": self.eligible,
            "amount": f"{self.amount:.2f}",
            "criteria": [{"label": c["label"], "passed": c["passed"], "message": c["message"]} for c in self.criteria],
        }

    def snapshot(self) -> dict[str, Any]:
        """Rule text, facts and result as they were at this evaluation, JSON-able, stored with a submitted case.
        `evaluate_snapshot` re-runs it against the stored rule text, so later rule edits change nothing."""
        result = self.to_dict()
        result["computed_amount"] = None if self.computed_amount is None else f"{self.computed_amount:.2f}"
        result["capped_by"] = self.capped_by
        result["criteria"] = [dict(c) for c in self.criteria]
        return {
            "schema": 1,
            "evaluated_at": self.evaluated_at,
            "rules": self.rules,
            "rules_sha256": hashlib.sha256(
                json.dumps(self.rules, sort_keys=True, ensure_ascii=False).encode()
            ).hexdigest(),
            "facts": _jsonable_facts(self.facts),
            "result": result,
        }


def _jsonable_facts(facts: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in facts.items():
        if isinstance(value, Decimal):
            out[key] = format(value, "f")
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def item_rules(item) -> dict[str, Any]:
    """The rule text of an item as plain data: what a snapshot stores and what evaluation runs."""

    def cap(value):
        return None if value is None else f"{value:.2f}"

    return {
        "item": item.code,
        "name": item.name,
        "policy": item.policy.title if item.policy_id else "",
        "rules_version": item.rules_version,
        "criteria": [
            {
                "label": c.label,
                "expression": c.expression,
                "failure_message": c.failure_message,
                "success_message": c.success_message,
            }
            for c in item.criteria.all()
        ],
        "amount_expression": item.amount_expression,
        "cap_per_application": cap(item.cap_per_application),
        "cap_per_company_year": cap(item.cap_per_company_year),
        "once_per_company": item.once_per_company,
        "stacking_group": item.stacking_group,
    }


def _ban_criterion(facts: dict[str, Any], on: dt.date) -> dict[str, Any] | None:
    """Banned companies cannot apply (a rule across all items). Only judged when the registry fact is known."""
    if "banned_until" not in facts:
        return None
    until = facts.get("banned_until")
    passed = until is None or until < on
    message = (
        _("未处于失信禁入期")
        if passed
        else _("企业处于失信禁入期（至 %(date)s），期间不能申报") % {"date": until.isoformat()}
    )
    return {
        "label": _(BAN_LABEL),
        "passed": passed,
        "message": message,
        "values": {"banned_until": display_value("banned_until", until)},
    }


def run_criterion(criterion: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    rule = compile_rule(criterion["expression"])
    names = sorted(symbols(rule))
    values = {name: display_value(name, facts.get(name)) for name in names}
    missing = [name for name in names if facts.get(name) is None and VARIABLES[name].type != DATE]
    if missing:
        return {
            "label": criterion["label"],
            "passed": False,
            "message": _("缺少“%(labels)s”，请填写后再计算")
            % {"labels": "、".join(str(VARIABLES[n].label) for n in missing)},
            "values": values,
            "missing": missing,
        }
    try:
        passed = bool(rule.matches({name: _engine_value(name, facts.get(name)) for name in names}))
    except rule_engine.EngineError:
        passed = False
    template = criterion["success_message"] if passed else criterion["failure_message"]
    message = render_message(template, facts) if template else (criterion["label"] if passed else "")
    if passed and not criterion["success_message"]:
        message = _("符合：%(label)s") % {"label": criterion["label"]}
    return {"label": criterion["label"], "passed": passed, "message": message, "values": values}


def apply_caps(raw: Any, rules: dict[str, Any]) -> tuple[Decimal, Decimal, str]:
    """Tiers are in the expression; then round half-up to the fen (never below zero); then the item's caps:
    per application, and per company and year (one application can never exceed the year's cap either)."""
    computed = max(to_fen(Decimal(str(raw))), Decimal("0.00"))
    amount, capped_by = computed, ""
    for key in ("cap_per_application", "cap_per_company_year"):
        if rules.get(key) is not None and amount > Decimal(rules[key]):
            amount, capped_by = to_fen(Decimal(rules[key])), key
    return computed, amount, capped_by


def run_amount(rules: dict[str, Any], facts: dict[str, Any]) -> tuple[Decimal | None, Decimal, str, str]:
    """(computed amount rounded to the fen or None, amount after caps, which cap applied, message)."""
    rule = compile_rule(rules["amount_expression"])
    names = sorted(symbols(rule))
    missing = [name for name in names if facts.get(name) is None and VARIABLES[name].type != DATE]
    if missing:
        labels = "、".join(str(VARIABLES[n].label) for n in missing)
        return None, Decimal("0.00"), "", _("填写“%(labels)s”后可计算金额") % {"labels": labels}
    try:
        raw = rule.evaluate({name: _engine_value(name, facts.get(name)) for name in names})
    except rule_engine.EngineError:
        return None, Decimal("0.00"), "", _("金额无法计算，请检查填写的数值")
    computed, amount, capped_by = apply_caps(raw, rules)
    message = ""
    if capped_by:
        message = _("按上限 %(cap)s 元计") % {"cap": figures(amount)}
    return computed, amount, capped_by, message


def evaluate_rules(rules: dict[str, Any], facts: dict[str, Any], *, on: dt.date | None = None) -> Evaluation:
    """Evaluate plain rule data (an item's current rules, or those stored in a snapshot) on normalised facts."""
    on = on or timezone.localdate()
    results = []
    ban = _ban_criterion(facts, on)
    if ban is not None:
        results.append(ban)
    results.extend(run_criterion(c, facts) for c in rules["criteria"])
    eligible = all(c["passed"] for c in results)
    computed, amount, capped_by, amount_message = run_amount(rules, facts)
    return Evaluation(
        item_code=rules["item"],
        eligible=eligible,
        amount=amount if eligible else Decimal("0.00"),
        criteria=results,
        computed_amount=computed,
        capped_by=capped_by,
        amount_message=amount_message,
        facts=facts,
        rules=rules,
        evaluated_at=timezone.now().astimezone(SHANGHAI).isoformat(),
    )


def evaluate_item(item, *, company=None, facts: dict[str, Any] | None = None, on: dt.date | None = None) -> Evaluation:
    """Evaluate `item` for `company` (its registry facts) and `facts` (form facts; they override the company's)."""
    merged: dict[str, Any] = company_facts(company) if company is not None else {}
    given = dict(facts or {})
    for form_field in item.form_fields or []:
        if "default" in form_field and given.get(form_field["key"]) in (None, ""):
            given[form_field["key"]] = form_field["default"]
    merged.update(normalize_facts(given))
    return evaluate_rules(item_rules(item), merged, on=on)


def evaluate_snapshot(snapshot: dict[str, Any], *, on: dt.date | None = None) -> Evaluation:
    """Re-run a stored snapshot against the rule text it stored, not the rule text in force today."""
    return evaluate_rules(snapshot["rules"], normalize_facts(snapshot["facts"], check_ranges=False), on=on)


# --- catalogue ---------------------------------------------------------------------------------------------------


def seed_catalogue() -> dict[str, int]:
    """Load the seeded policy, its nine items and the current year's round (catalogue.year_round). Idempotent, and
    never overwrites what a manager has since edited: an existing policy, item or round is left as it is."""
    from django.db import transaction

    from . import catalogue
    from .models import Criterion, Policy, Round, SupportItem

    created = {"policies": 0, "items": 0, "rounds": 0}
    # The catalogue's texts are Chinese, whatever language is active (they are the canonical zh-hans texts).
    with transaction.atomic(), translation.override("zh-hans"):
        policy, new = Policy.objects.get_or_create(
            title=catalogue.POLICY["title"], defaults={**catalogue.POLICY, "title_en": catalogue.POLICY_TITLE_EN}
        )
        created["policies"] += new
        this_year = catalogue.year_round(timezone.localdate().year)
        _round, new = Round.objects.get_or_create(policy=policy, name=this_year["name"], defaults=this_year)
        created["rounds"] += new
        for order, spec in enumerate(catalogue.ITEMS, start=1):
            if SupportItem.objects.filter(code=spec["code"]).exists():
                continue
            fields = {k: v for k, v in spec.items() if k != "criteria"}
            fields["name_en"] = catalogue.ITEM_NAMES_EN.get(spec["code"])
            item = SupportItem(policy=policy, sort_order=order, **fields)
            item.full_clean()
            item.save()
            for position, row in enumerate(spec["criteria"], start=1):
                criterion = Criterion(item=item, order=position, **row)
                criterion.full_clean()
                criterion.save()
            created["items"] += 1
        seed_rubrics()
    return created


def seed_rubrics() -> int:
    """Give each seeded item without a scoring rubric the catalogue's (catalogue.RUBRIC). Idempotent: an item
    with any rubric row, as a manager left it, is not touched. Returns the items given one."""
    from . import catalogue
    from .models import RubricCriterion, SupportItem

    given = 0
    codes = [spec["code"] for spec in catalogue.ITEMS]
    for item in SupportItem.objects.filter(code__in=codes, rubric__isnull=True):
        RubricCriterion.objects.bulk_create(RubricCriterion(item=item, **row) for row in catalogue.rubric_rows())
        given += 1
    return given


def mark_invitation_started(invitation, user) -> None:
    """The company acted on the invitation; kept so the office sees which invitations led to applications."""
    from invest.audit import audit

    if invitation.status != invitation.Status.STARTED:
        invitation.status = invitation.Status.STARTED
        invitation.seen_at = invitation.seen_at or timezone.now()
        invitation.seen_by = user
        invitation.save(update_fields=["status", "seen_at", "seen_by"])
        audit(user, "policies.invitation_started", invitation, after={"status": invitation.status})
