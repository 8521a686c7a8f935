import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from policies.models import Criterion, Policy, Round, SupportItem
from tests.factories.companies import CompanyFactory


def run(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_seed_policies_loads_the_catalogue_once(db):
    first = run("seed_policies")
    assert first["created"] == {"policies": 1, "items": 9, "rounds": 1}
    assert run("seed_policies")["created"] == {"policies": 0, "items": 0, "rounds": 0}
    assert list(SupportItem.objects.order_by("code").values_list("code", flat=True)) == [
        f"JJ-FILM-0{i}" for i in range(1, 10)
    ]
    assert Policy.objects.get().title == "江津区影视产业发展扶持办法（试行）"
    round_ = Round.objects.get()
    year = timezone.localdate().year
    assert (round_.name, round_.year, round_.budget) == (f"{year}年度", year, Decimal("20000000.00"))
    assert round_.is_open()
    assert Criterion.objects.count() == 25


def test_seed_policies_keeps_a_managers_edits(db):
    run("seed_policies")
    item = SupportItem.objects.get(code="JJ-FILM-05")
    item.cap_per_application = Decimal("1500000.00")
    item.save()
    run("seed_policies")
    item.refresh_from_db()
    assert item.cap_per_application == Decimal("1500000.00")


def test_evaluate_item_prints_one_json_object(catalogue):
    result = run(
        "evaluate_item",
        "JJ-FILM-01",
        "--facts",
        '{"has_filing": true, "shooting_days_in_jiangjin": 12, "local_spend": 600000}',
    )
    assert set(result) == {"item", "eligible", "amount", "criteria"}
    assert result["item"] == "JJ-FILM-01"
    assert result["eligible"] is False
    assert result["amount"] == "0.00"
    assert {"label": "在江津拍摄不少于15天", "passed": False, "message": "在江津拍摄天数 12 天，少于 15 天"} in result[
        "criteria"
    ]


def test_evaluate_item_reads_the_company_and_facts_override_it(catalogue):
    company = CompanyFactory(paid_in_capital=Decimal("6000000"))
    code = company.credit_code.lower()
    assert run("evaluate_item", "JJ-FILM-02", "--company", code)["amount"] == "150000.00"
    overridden = run("evaluate_item", "JJ-FILM-02", "--company", code, "--facts", '{"paid_in_capital": 12000000}')
    assert overridden["amount"] == "300000.00"


@pytest.mark.parametrize(
    "args, message",
    [
        (["JJ-FILM-99"], "没有编码为 JJ-FILM-99 的扶持事项"),
        (["JJ-FILM-01", "--facts", "{bad"], "--facts 不是有效的 JSON"),
        (["JJ-FILM-01", "--facts", '{"local_spend": "many"}'], "“在江津消费金额”的值“many”无法识别"),
        (["JJ-FILM-01", "--company", "91500116000000000X"], "没有统一社会信用代码为"),
    ],
)
def test_evaluate_item_errors_say_what_to_do(catalogue, args, message):
    with pytest.raises(CommandError) as exc:
        call_command("evaluate_item", *args)
    assert message in str(exc.value)
