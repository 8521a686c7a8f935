"""What every workflow table of the service has in common: cases (applications/workflow.py) and leads
(companies/investment/workflow.py) declare their states and transitions with these classes, and get the same
load-time check, the same JSON description, the same Mermaid diagram and the same generated model methods.

A table is a tuple of ``State`` and a tuple of ``Transition`` (or subclasses adding the fields of their domain).
Keys are fixed English identifiers and never translated; only the labels go through gettext, so switching the
site language can never strand a record in a state nobody knows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django_fsm import GET_STATE, transition

#: Pseudo roles. ``system`` transitions are taken only by the service itself (a deadline run, the last expert
#: opinion); ``public`` transitions are open to anyone, signed in or not (a named objection during 公示).
SYSTEM = "system"
PUBLIC = "public"
PSEUDO_ROLES = (SYSTEM, PUBLIC)


def require(condition: Any, problem: Any) -> None:
    """A table's load-time check: ImproperlyConfigured (not an assert, which ``python -O`` would skip)."""
    if not condition:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"workflow table: {problem}")


def both_languages(label: Any, en: str) -> dict[str, str]:
    """A label in the default language and in English, without depending on compiled translations."""
    from django.utils import translation

    with translation.override("zh-hans"):
        zh = str(label)
    return {"zh-hans": zh, "en": en}


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class State:
    key: str
    label: Any
    terminal: bool = False
    #: The English label is part of the table so the JSON description prints both languages.
    label_en: str = ""

    def describe(self) -> dict[str, Any]:
        return {"key": self.key, "label": both_languages(self.label, self.label_en), "terminal": self.terminal}


@dataclass(frozen=True)
class Transition:
    key: str
    sources: tuple[str, ...]
    target: str
    #: Who may take it: role group names, or the pseudo roles SYSTEM and PUBLIC.
    roles: tuple[str, ...]
    label: Any
    #: The actor must say why (the refusal code is ``comment_required``).
    comment_required: bool = False
    #: Cannot be undone: the page asks for confirmation, restating what will happen, before it is taken.
    confirm: bool = False
    label_en: str = ""
    #: For a transition whose arrival state follows from the record (a payment that may or may not be the
    #: last): ``(record) -> state key``, asked after the method's body ran (django-fsm's GET_STATE), and the
    #: states besides ``target`` it may answer.
    decide_target: Callable[[Any], str] | None = field(default=None, compare=False)
    other_targets: tuple[str, ...] = ()

    #: The fields the JSON description prints after key, label, sources, target, roles and role labels, in
    #: this order. A subclass lists its own domain fields here.
    described: ClassVar[tuple[str, ...]] = ("automatic", "comment_required", "confirm")

    @property
    def targets(self) -> tuple[str, ...]:
        """Every state the transition may end in: ``target``, then ``other_targets``."""
        return (self.target, *self.other_targets)

    @property
    def automatic(self) -> bool:
        return SYSTEM in self.roles

    @property
    def public(self) -> bool:
        return PUBLIC in self.roles

    def describe(self) -> dict[str, Any]:
        from invest.roles import role_label

        return {
            "key": self.key,
            "label": both_languages(self.label, self.label_en),
            "sources": list(self.sources),
            "target": self.target,
            "roles": list(self.roles),
            "role_labels": [str(role_label(r)) for r in self.roles if r not in PSEUDO_ROLES],
            **{name: _jsonable(getattr(self, name)) for name in self.described},
        }


class Table:
    """One workflow: its states (the first is where a record starts) and its transitions, checked when built."""

    def __init__(
        self,
        states: Sequence[State],
        transitions: Sequence[Transition],
        *,
        subject: str,
        reopening: Iterable[str] = (),
    ):
        """``subject``: what the audit log calls a record of this table (its transitions' event types are
        ``<subject>.<key>``); ``reopening``: keys of the transitions allowed to leave a terminal state (a clawback)."""
        self.subject = subject
        self.states = tuple(states)
        self.transitions = tuple(transitions)
        self.state_by_key: dict[str, State] = {s.key: s for s in self.states}
        self.transition_by_key: dict[str, Transition] = {t.key: t for t in self.transitions}
        self.state_keys: tuple[str, ...] = tuple(s.key for s in self.states)
        self.terminal_states: frozenset[str] = frozenset(s.key for s in self.states if s.terminal)
        self.check(reopening=frozenset(reopening))

    def check(self, *, reopening: frozenset[str]) -> None:
        """Fail at import rather than at run time when the table contradicts itself."""
        require(len(self.state_by_key) == len(self.states), "two states share a key")
        require(len(self.transition_by_key) == len(self.transitions), "two transitions share a key")
        require(reopening <= set(self.transition_by_key), sorted(reopening - set(self.transition_by_key)))
        for t in self.transitions:
            require(all(target in self.state_by_key for target in t.targets), t.key)
            require((t.decide_target is None) == (not t.other_targets), t.key)
            require(t.sources and all(s in self.state_by_key for s in t.sources), t.key)
            require(t.roles, t.key)
            # Terminal means no further regular work; only a reopening transition reaches back into it.
            require(t.key in reopening or not (set(t.sources) & self.terminal_states), t.key)

    def state_label(self, key: str) -> str:
        state = self.state_by_key.get(key)
        return str(state.label) if state else key

    def state_choices(self) -> list[tuple[str, Any]]:
        return [(s.key, s.label) for s in self.states]

    def transitions_from(self, state: str) -> list[Transition]:
        """The transitions the table allows out of ``state``, in table order."""
        return [t for t in self.transitions if state in t.sources]

    def event_type(self, key: str) -> str:
        """The audit log's event type (``AuditEntry.action``) of the transition ``key``."""
        from invest.audit import transition_event

        return transition_event(self.subject, key)

    def event_types(self) -> list[str]:
        """The event types of all transitions, to find the state changes in the audit log."""
        return [self.event_type(t.key) for t in self.transitions]

    def acting_roles(self) -> tuple[str, ...]:
        """Roles that take at least one transition (pseudo roles excluded), in table order."""
        return tuple(dict.fromkeys(r for t in self.transitions for r in t.roles if r not in PSEUDO_ROLES))

    def describe(self) -> dict[str, Any]:
        """The table as JSON-able data (``manage.py workflow --json``)."""
        return {
            "states": [s.describe() for s in self.states],
            "transitions": [t.describe() for t in self.transitions],
        }

    def as_mermaid(self) -> str:
        """A stateDiagram of the table, labelled with transition keys and roles (the docs embed it)."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.states[0].key}"]
        for t in self.transitions:
            who = "/".join(t.roles)
            for source in t.sources:
                for target in t.targets:
                    lines.append(f"    {source} --> {target}: {t.key} ({who})")
        for s in self.states:
            if s.terminal:
                lines.append(f"    {s.key} --> [*]")
        return "\n".join(lines) + "\n"

    def require_every_transition(self, mapping: dict[str, Any], name: str) -> None:
        """Fail at import unless ``mapping`` (a dict by transition key kept beside the table, e.g. the
        handlers) names every transition of the table and nothing else."""
        from django.core.exceptions import ImproperlyConfigured

        keys = set(self.transition_by_key)
        if set(mapping) != keys:
            raise ImproperlyConfigured(
                f"{name} must name every transition of the {self.subject} table: "
                f"missing {sorted(keys - set(mapping))}, unknown {sorted(set(mapping) - keys)}"
            )

    def transition_methods(
        self,
        name: str,
        module: str,
        *,
        field: str = "state",
        bodies: dict[str, Callable[..., None]] | None = None,
        conditions: Callable[[Transition], list[Callable]] | None = None,
        permission: Callable[[Transition], Callable | None] | None = None,
    ) -> type:
        """A plain base class (not a model) with one django-fsm ``@transition`` method per row, so a model
        inheriting it has exactly the table's transitions; django-fsm finds them when the model is prepared.

        ``bodies``: by transition key, what the method does to the record besides the state (the fields that
        belong to the arrival state); without one the method changes the state only. ``conditions`` and
        ``permission`` give django-fsm's conditions and permission for a row. The row itself is the method's
        ``custom["spec"]``.
        """
        bodies = bodies or {}

        def method_for(spec: Transition):
            body = bodies.get(spec.key)

            def method(self, *args, **data):
                """State change only; the side effects live in the services (one place, one transaction)."""
                if body is not None:
                    body(self, *args, **data)

            method.__name__ = spec.key
            method.__qualname__ = f"{name}.{spec.key}"
            method.__doc__ = f"{spec.label_en} ({', '.join(spec.sources)} → {spec.target}); generated from the table."
            return transition(
                field=field,
                source=list(spec.sources),
                target=GET_STATE(spec.decide_target, states=list(spec.targets)) if spec.decide_target else spec.target,
                conditions=conditions(spec) if conditions else [],
                permission=permission(spec) if permission else None,
                custom={"spec": spec},
            )(method)

        return type(name, (), {"__module__": module, **{t.key: method_for(t) for t in self.transitions}})
