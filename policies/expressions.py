"""Compiling rule text with rule-engine against the typed context of `variables.VARIABLES`.

Rules are data, never `eval`: a criterion or an amount is rule-engine text, compiled once (and cached by text) with
a context that knows every variable's type. That is what lets the admin refuse, at save time, a rule that does not
parse, names an unknown variable, compares a number with a text, or does not give the kind of result it must."""

from __future__ import annotations

import string
from functools import lru_cache
from zoneinfo import ZoneInfo

import rule_engine
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rule_engine import DataType

from .variables import BOOLEAN, CHOICE, DATE, FORM, NUMBER, TEXT, VARIABLES

_TYPES = {
    NUMBER: DataType.FLOAT,
    TEXT: DataType.STRING,
    CHOICE: DataType.STRING,
    BOOLEAN: DataType.BOOLEAN,
    DATE: DataType.DATETIME,
}

CONTEXT = rule_engine.Context(
    type_resolver=rule_engine.type_resolver_from_dict({key: _TYPES[v.type] for key, v in VARIABLES.items()}),
    default_timezone=ZoneInfo("Asia/Shanghai"),
)


class RuleError(ValidationError):
    """A rule that cannot be saved; the message names the offending word and says what to do."""


def _explain(exc: Exception, text: str) -> str:
    if isinstance(exc, rule_engine.SymbolResolutionError):
        message = _("未知变量“%(word)s”。") % {"word": exc.symbol_name}
        if exc.suggestion:
            message += _("您是不是想写“%(suggestion)s”？") % {"suggestion": exc.suggestion}
        return message + _("请使用变量表中的变量名。")
    if isinstance(exc, rule_engine.RuleSyntaxError):
        token = getattr(exc, "token", None)
        if token is None:
            return _("规则不完整：表达式在结尾处缺少内容，请补全比较或运算的另一边。")
        return _("规则写法有误：无法识别“%(word)s”（第 %(pos)s 个字符附近），请检查变量名、运算符、括号和引号。") % {
            "word": str(token.value).split()[0] if str(token.value).split() else token.value,
            "pos": getattr(token, "lexpos", 0) + 1,
        }
    if isinstance(exc, rule_engine.AttributeResolutionError):
        return _("无法识别属性“%(word)s”，请检查拼写。") % {"word": exc.attribute_name}
    if isinstance(exc, rule_engine.EvaluationError):
        return _(
            "类型不匹配：“%(text)s”中比较或计算的两边类型不同（例如数字与文字），文字请加引号，数字不要加引号。"
        ) % {"text": text}
    return _("规则无法编译：%(error)s") % {"error": getattr(exc, "message", str(exc))}


@lru_cache(maxsize=4096)
def compile_rule(text: str) -> rule_engine.Rule:
    """The compiled rule for `text`. Cached: the same text always compiles to the same rule."""
    if not text or not text.strip():
        raise RuleError(_("规则不能为空，请填写表达式。"))
    try:
        return rule_engine.Rule(text, context=CONTEXT)
    except rule_engine.EngineError as exc:
        raise RuleError(_explain(exc, text)) from exc


def result_type(rule: rule_engine.Rule):
    return rule.statement.expression.result_type


def validate_condition(text: str) -> rule_engine.Rule:
    rule = compile_rule(text)
    kind = result_type(rule)
    if kind is not DataType.UNDEFINED and kind is not DataType.BOOLEAN:
        raise RuleError(_("条件的结果必须是“是/否”，例如 shooting_days_in_jiangjin >= 15；请加上比较。"))
    return rule


def validate_amount_expression(text: str) -> rule_engine.Rule:
    rule = compile_rule(text)
    kind = result_type(rule)
    if kind is not DataType.UNDEFINED and kind is not DataType.FLOAT:
        raise RuleError(_("金额计算式的结果必须是数字（元），例如 local_spend * 0.1；请检查。"))
    return rule


def message_fields(template: str) -> list[str]:
    try:
        return [name for _lit, name, _spec, _conv in string.Formatter().parse(template or "") if name is not None]
    except ValueError as exc:
        raise RuleError(_("提示文字中的花括号不成对，请检查 { 和 }。")) from exc


def validate_message(template: str) -> None:
    for name in message_fields(template):
        if name not in VARIABLES:
            raise RuleError(
                _("提示文字中的“{%(word)s}”不是已知变量，请改用变量表中的变量名，或去掉花括号。") % {"word": name}
            )


def validate_form_fields(fields) -> None:
    if not isinstance(fields, list):
        raise RuleError(_("申报表字段必须是列表。"))
    for field in fields:
        key = field.get("key") if isinstance(field, dict) else None
        if key not in VARIABLES:
            raise RuleError(_("申报表字段“%(word)s”不是已知变量，请使用变量表中的变量名。") % {"word": key})
        if VARIABLES[key].source != FORM:
            raise RuleError(_("“%(word)s”来自企业登记信息，不能作为申报表字段。") % {"word": key})


def symbols(rule: rule_engine.Rule) -> frozenset[str]:
    """The variables a compiled rule reads, found by walking its syntax tree."""
    found: set[str] = set()
    seen: set[int] = set()

    def walk(node) -> None:
        if node is None or id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, rule_engine.ast.SymbolExpression):
            if node.scope is None:
                found.add(node.name)
            return
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
            return
        if isinstance(node, rule_engine.ast.ExpressionBase) or isinstance(node, rule_engine.ast.Statement):
            for name in dir(node):
                if name.startswith("_") or name in ("context", "result_type", "parser"):
                    continue
                value = getattr(node, name, None)
                if isinstance(value, (rule_engine.ast.ExpressionBase, list, tuple)):
                    walk(value)

    walk(rule.statement)
    return frozenset(found & VARIABLES.keys())
