"""A manager cannot save a rule that does not compile or names an unknown variable; the message names the word."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from invest.models import AuditEntry
from policies.expressions import validate_amount_expression, validate_condition, validate_message
from policies.models import Criterion
from tests.factories.companies import UserFactory


@pytest.mark.parametrize(
    "text, words",
    [
        ("shooting_day >= 15", ["未知变量“shooting_day”", "您是不是想写“shooting_days_in_jiangjin”"]),
        ("box_offce >= 30000000", ["未知变量“box_offce”", "box_office"]),
        ("local_spend >= 500000 and has_filing = true", ["无法识别“=”"]),
        ("local_spend >=", ["规则不完整"]),
        ("registration_district >= 15", ["类型不匹配", "registration_district >= 15"]),
        ("local_spend * 0.1", ["条件的结果必须是“是/否”"]),
        ("", ["规则不能为空"]),
    ],
)
def test_bad_conditions_are_refused_naming_the_problem(text, words):
    with pytest.raises(ValidationError) as exc:
        validate_condition(text)
    message = exc.value.messages[0]
    for word in words:
        assert word in message


def test_amount_must_be_a_number():
    with pytest.raises(ValidationError) as exc:
        validate_amount_expression("local_spend >= 1")
    assert "金额计算式的结果必须是数字" in exc.value.messages[0]
    validate_amount_expression("shooting_days_in_jiangjin >= 30 ? local_spend * 0.15 : local_spend * 0.10")


def test_message_placeholders_must_be_known_variables():
    with pytest.raises(ValidationError) as exc:
        validate_message("拍摄 {shooting_days} 天")
    assert "{shooting_days}" in exc.value.messages[0]
    validate_message("在江津拍摄天数 {shooting_days_in_jiangjin} 天，少于 15 天")


def test_model_validation_refuses_before_saving(catalogue):
    criterion = Criterion(
        item=catalogue["JJ-FILM-01"], label="x", expression="shooting_dayz >= 15", failure_message="x"
    )
    with pytest.raises(ValidationError) as exc:
        criterion.full_clean()
    assert "shooting_dayz" in exc.value.message_dict["expression"][0]


def _change_form(item, criteria_rows):
    data = {
        "policy": item.policy_id,
        "code": item.code,
        "name": item.name,
        "description": item.description,
        "applicants": item.applicants,
        "sort_order": item.sort_order,
        "amount_expression": item.amount_expression,
        "amount_explanation": item.amount_explanation,
        "cap_per_application": item.cap_per_application or "",
        "cap_per_company_year": item.cap_per_company_year or "",
        "stacking_group": item.stacking_group,
        "cap_note": item.cap_note,
        "form_fields": json.dumps(item.form_fields, ensure_ascii=False),
        "materials": json.dumps(item.materials, ensure_ascii=False),
        "criteria-TOTAL_FORMS": len(criteria_rows),
        "criteria-INITIAL_FORMS": len(criteria_rows),
        "criteria-MIN_NUM_FORMS": 0,
        "criteria-MAX_NUM_FORMS": 1000,
    }
    # The scoring rubric inline (评分标准), kept as it is.
    rubric = list(item.rubric.all())
    data.update(
        {
            "rubric-TOTAL_FORMS": len(rubric),
            "rubric-INITIAL_FORMS": len(rubric),
            "rubric-MIN_NUM_FORMS": 0,
            "rubric-MAX_NUM_FORMS": 1000,
        }
    )
    for index, row in enumerate(rubric):
        prefix = f"rubric-{index}-"
        data.update(
            {
                prefix + "id": row.pk,
                prefix + "item": item.pk,
                prefix + "order": row.order,
                prefix + "label": row.label,
                prefix + "weight": row.weight,
                prefix + "maximum": row.maximum,
            }
        )
    if item.once_per_company:
        data["once_per_company"] = "on"
    for index, (criterion, expression) in enumerate(criteria_rows):
        prefix = f"criteria-{index}-"
        data.update(
            {
                prefix + "id": criterion.pk,
                prefix + "item": item.pk,
                prefix + "order": criterion.order,
                prefix + "label": criterion.label,
                prefix + "expression": expression,
                prefix + "failure_message": criterion.failure_message,
                prefix + "success_message": criterion.success_message,
                prefix + "label_en": criterion.label_en or "",
                prefix + "failure_message_en": criterion.failure_message_en or "",
                prefix + "success_message_en": criterion.success_message_en or "",
            }
        )
    # The admin shows each text in Chinese and English (django-modeltranslation: <field>_zh_hans, <field>_en).
    for key in [k for k in data if k.rsplit("-", 1)[-1] in TRANSLATED]:
        data[f"{key}_zh_hans"] = data[key]
    for field in ("name", "description", "amount_explanation", "cap_note"):
        data[f"{field}_en"] = getattr(item, f"{field}_en") or ""
    return data


TRANSLATED = {"name", "description", "amount_explanation", "cap_note", "label", "failure_message", "success_message"}


@pytest.fixture
def manager_client(client, db):
    user = UserFactory(roles=["manager"], is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_admin_refuses_a_rule_naming_an_unknown_variable_and_says_which(manager_client, catalogue):
    item = catalogue["JJ-FILM-01"]
    rows = [(c, c.expression) for c in item.criteria.all()]
    rows[1] = (rows[1][0], "shooting_days >= 15")
    response = manager_client.post(
        reverse("admin:policies_supportitem_change", args=[item.pk]), _change_form(item, rows)
    )
    assert response.status_code == 200  # the form again, with the error
    content = response.content.decode()
    assert "未知变量“shooting_days”" in content
    assert item.criteria.get(order=2).expression == "shooting_days_in_jiangjin >= 15"


def test_admin_saves_a_valid_edit_audits_it_and_bumps_the_rules_version(manager_client, catalogue):
    item = catalogue["JJ-FILM-01"]
    rows = [(c, c.expression) for c in item.criteria.all()]
    rows[1] = (rows[1][0], "shooting_days_in_jiangjin >= 20")
    response = manager_client.post(
        reverse("admin:policies_supportitem_change", args=[item.pk]), _change_form(item, rows)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.criteria.get(order=2).expression == "shooting_days_in_jiangjin >= 20"
    assert item.rules_version == 2
    entry = AuditEntry.objects.get(action="policies.rules_edited", target_id=str(item.pk))
    assert entry.before["criteria"][1]["expression"] == "shooting_days_in_jiangjin >= 15"
    assert entry.after["criteria"][1]["expression"] == "shooting_days_in_jiangjin >= 20"
