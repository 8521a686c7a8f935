"""The statistics listen to the case workflow; the workflow never calls in."""

from __future__ import annotations


def _on_case_transitioned(sender, *, application, source, target, **kwargs) -> None:
    from .visits import record

    record(application, source, target)


def connect() -> None:
    from applications.signals import case_transitioned

    case_transitioned.connect(_on_case_transitioned, dispatch_uid="statistics.case_transitioned")
