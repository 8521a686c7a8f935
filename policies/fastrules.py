"""Rule text compiled to plain Python closures, for proactive matching over the whole registry.

rule-engine walks its syntax tree on every evaluation (about 100 µs each here). Matching a hundred thousand
companies that way takes minutes. This module translates the same tree, once per rule, into nested closures that
follow rule-engine's own semantics node by node (type-strict equality, ordered comparison refusing mixed types,
Decimal arithmetic, short-circuit logic). A node it does not know makes `to_closure` refuse, and the matcher then
uses rule-engine itself for that rule, so the result never depends on this translation being complete. The
benchmark and the tests check both paths agree on every company."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import rule_engine
from rule_engine import ast as re_ast

from invest.twins import Twin

# A fast twin of rule-engine (invest/twins.py): the start-up check compares this with the installed version.
TWIN = Twin(library="rule-engine", verified="5.1.0", test="tests/policies/test_matching.py")

Fact = dict[str, Any]
Closure = Callable[[Fact], Any]


class NotCompilable(Exception):
    """The tree holds a node this translation does not cover; use rule-engine for this rule."""


class Mismatch(Exception):
    """Where rule-engine would raise an EvaluationError at run time."""


_ORDERED = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}
_ARITHMETIC = {
    "mul": operator.mul,
    "tdiv": operator.truediv,
    "fdiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
}


def _numeric(value: Any) -> bool:
    return isinstance(value, Decimal | float | int) and not isinstance(value, bool)


def _literal(value: Any) -> Any:
    if isinstance(value, tuple):
        raise NotCompilable("nested collection")
    return value


def to_closure(node) -> Closure:  # noqa: C901 - one branch per node kind reads best here
    if isinstance(node, re_ast.Statement):
        return to_closure(node.expression)
    if isinstance(node, re_ast.ArrayExpression):
        members = tuple(to_closure(m) for m in node.value)
        if all(
            isinstance(m, re_ast.LiteralExpressionBase) and not isinstance(m, re_ast.ArrayExpression)
            for m in node.value
        ):
            constant = tuple(_literal(m.value) for m in node.value)
            return lambda f: constant
        return lambda f: tuple(m(f) for m in members)
    if isinstance(
        node,
        re_ast.FloatExpression
        | re_ast.StringExpression
        | re_ast.BooleanExpression
        | re_ast.NullExpression
        | re_ast.DatetimeExpression,
    ):
        constant = node.value
        return lambda f: constant
    if isinstance(node, re_ast.SymbolExpression):
        if node.scope is not None:
            raise NotCompilable("scoped symbol")
        name = node.name
        return lambda f: f[name]
    if isinstance(node, re_ast.TernaryExpression):
        condition, yes, no = to_closure(node.condition), to_closure(node.case_true), to_closure(node.case_false)
        return lambda f: yes(f) if condition(f) else no(f)
    if isinstance(node, re_ast.UnaryExpression):
        right = to_closure(node.right)
        if node.type == "not":
            return lambda f: not right(f)
        if node.type == "uminus":

            def negate(f: Fact) -> Any:
                value = right(f)
                if not _numeric(value) and not isinstance(value, dt.timedelta):
                    raise Mismatch
                return -value

            return negate
        raise NotCompilable(node.type)
    if isinstance(node, re_ast.ContainsExpression):
        container, member = to_closure(node.container), to_closure(node.member)

        def contains(f: Fact) -> bool:
            box = container(f)
            value = member(f)
            if isinstance(box, str | bytes) and type(value) is not type(box):
                raise Mismatch
            return bool(value in box)

        return contains
    if type(node) is re_ast.LogicExpression:
        left, right = to_closure(node.left), to_closure(node.right)
        if node.type == "and":
            return lambda f: bool(left(f) and right(f))
        if node.type == "or":
            return lambda f: bool(left(f) or right(f))
        raise NotCompilable(node.type)
    if type(node) is re_ast.ComparisonExpression:
        left, right = to_closure(node.left), to_closure(node.right)
        if node.type == "eq":

            def eq(f: Fact) -> bool:
                a, b = left(f), right(f)
                return type(a) is type(b) and a == b

            return eq
        if node.type == "ne":

            def ne(f: Fact) -> bool:
                a, b = left(f), right(f)
                return type(a) is not type(b) or a != b

            return ne
        raise NotCompilable(node.type)
    if type(node) is re_ast.ArithmeticComparisonExpression:
        left, right = to_closure(node.left), to_closure(node.right)
        op = _ORDERED.get(node.type)
        if op is None:
            raise NotCompilable(node.type)
        both_none = op in (operator.ge, operator.le)

        def ordered(f: Fact) -> bool:
            a, b = left(f), right(f)
            if a is None and b is None:
                return both_none
            if isinstance(a, tuple) or type(a) is not type(b):
                if isinstance(a, tuple) and isinstance(b, tuple):
                    raise Mismatch  # array ordering: left to rule-engine semantics, not used by our rules
                raise Mismatch
            return op(a, b)

        return ordered
    if type(node) is re_ast.ArithmeticExpression:
        left, right = to_closure(node.left), to_closure(node.right)
        op = _ARITHMETIC.get(node.type)
        if op is None:
            raise NotCompilable(node.type)

        def arithmetic(f: Fact) -> Any:
            a = left(f)
            if not _numeric(a):
                raise Mismatch
            b = right(f)
            if not _numeric(b):
                raise Mismatch
            try:
                return op(a, b)
            except ArithmeticError as exc:
                raise Mismatch from exc

        return arithmetic
    if type(node) is re_ast.AddExpression:
        left, right = to_closure(node.left), to_closure(node.right)

        def add(f: Fact) -> Any:
            a, b = left(f), right(f)
            if isinstance(a, dt.datetime | dt.timedelta | bytes) or isinstance(b, bytes):
                raise NotCompilableAtRuntime
            if isinstance(a, str) or isinstance(b, str):
                if not (isinstance(a, str) and isinstance(b, str)):
                    raise Mismatch
            elif not (_numeric(a) and _numeric(b)):
                raise Mismatch
            return a + b

        return add
    if type(node) is re_ast.SubtractExpression:
        left, right = to_closure(node.left), to_closure(node.right)

        def subtract(f: Fact) -> Any:
            a, b = left(f), right(f)
            if not (_numeric(a) and _numeric(b)):
                raise NotCompilableAtRuntime
            return a - b

        return subtract
    raise NotCompilable(type(node).__name__)


class NotCompilableAtRuntime(Exception):
    """A value kind (dates, byte strings) this translation leaves to rule-engine; the caller falls back."""


def compile_closure(rule: rule_engine.Rule) -> Closure | None:
    """A closure equivalent to `rule.evaluate`, or None when the rule must stay with rule-engine."""
    try:
        return to_closure(rule.statement)
    except NotCompilable:
        return None
