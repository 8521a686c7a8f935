"""Every action the code writes to the audit log has a label on the audit viewer: the named event types and the
workflows' transitions carry their own; an action written under a plain key ("account.created") needs one in
invest.auditlog.selectors.OTHER_LABELS, or the viewer shows the bare key to an auditor."""

from __future__ import annotations

import ast
from pathlib import Path

from invest.auditlog.selectors import action_group, action_labels

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("applications", "companies", "invest", "policies")


def _keys(node: ast.AST) -> list[str]:
    """The plain keys an action argument can be: a string, or either side of ``a if x else b`` (a call such as
    ``TABLE.event_type("submit")`` names a transition, which has its label)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _keys(node.body) + _keys(node.orelse)
    return []


def _literal_actions() -> dict[str, str]:
    """The string keys passed as the action of audit() or audit_each() anywhere in the code, with where."""
    found = {}
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or len(node.args) < 2:
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name not in ("audit", "audit_each"):
                    continue
                for value in _keys(node.args[1]):
                    found[value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_action_key_the_code_writes_has_a_label():
    written = _literal_actions()
    assert "account.created" in written and "document.issue" in written  # the walk finds them
    missing = {key: where for key, where in written.items() if key not in action_labels()}
    assert not missing, f"add these to invest.auditlog.selectors.OTHER_LABELS: {missing}"


def test_actions_are_grouped_by_their_subject():
    assert action_group("case.accept") == "申报案件"
    assert action_group("clawback.done") == action_group("obligation.breach") == "履约与追回"
    assert action_group("membership_requested") == action_group("company_created") == "企业与成员"
    assert action_group("legacy.thing") == "其他"
