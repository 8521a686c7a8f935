"""A submitted case keeps the rule text in force at submission: a later rule edit changes nothing in it."""

import json
from decimal import Decimal

from policies.services import evaluate_item, evaluate_snapshot

FACTS = {"has_filing": True, "shooting_days_in_jiangjin": 16, "local_spend": "600000"}


def test_snapshot_is_json_and_holds_rule_text_facts_and_result(catalogue):
    snapshot = evaluate_item(catalogue["JJ-FILM-01"], facts=FACTS).snapshot()
    stored = json.loads(json.dumps(snapshot))  # what a JSONField keeps
    assert stored["rules"]["criteria"][1]["expression"] == "shooting_days_in_jiangjin >= 15"
    assert stored["rules"]["amount_expression"].startswith("shooting_days_in_jiangjin >= 30")
    assert stored["rules"]["cap_per_application"] == "1000000.00"
    assert stored["facts"]["local_spend"] == "600000"
    assert stored["result"]["eligible"] is True
    assert stored["result"]["amount"] == "60000.00"
    assert len(stored["rules_sha256"]) == 64


def test_snapshot_survives_a_rule_edit(catalogue):
    item = catalogue["JJ-FILM-01"]
    stored = json.loads(json.dumps(evaluate_item(item, facts=FACTS).snapshot()))
    frozen = json.dumps(stored, sort_keys=True)

    criterion = item.criteria.get(order=2)
    criterion.expression = "shooting_days_in_jiangjin >= 20"
    criterion.failure_message = "在江津拍摄天数 {shooting_days_in_jiangjin} 天，少于 20 天"
    criterion.save()
    item.amount_expression = "local_spend * 0.05"
    item.save()

    now = evaluate_item(item, facts=FACTS)
    assert not now.eligible  # today's rule says no
    assert now.failed[0]["message"] == "在江津拍摄天数 16 天，少于 20 天"

    again = evaluate_snapshot(stored)  # the case is judged by the rule text it was submitted under
    assert again.eligible
    assert again.amount == Decimal("60000.00")
    assert json.dumps(stored, sort_keys=True) == frozen
