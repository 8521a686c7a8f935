"""What this app does when a case moves or the registry changes: it listens, the case workflow never calls in
(except conclude_notice's handler, which makes the obligations inside the approval's transaction)."""

from __future__ import annotations


def _on_case_transitioned(sender, *, application, transition, actor=None, **kwargs) -> None:
    from . import services

    if transition == "disburse":
        services.start_payment_clocks(application, actor)
    elif transition == "claw_back":
        services.close_for_clawback(application, actor)


def _on_districts_changed(sender, *, company_ids, actor=None, **kwargs) -> None:
    from . import services

    services.check_registry(company_ids, actor)


def _on_company_saved(sender, *, instance, created=False, raw=False, **kwargs) -> None:
    """One company saved (the admin's change form, a confirmed registration): its stay commitments checked
    at once. The bulk import writes without saving models; it sends districts_changed instead."""
    from . import services

    if not created and not raw:
        services.check_registry([instance.pk])


def connect() -> None:
    from django.db.models.signals import post_save

    from applications.signals import case_transitioned
    from companies.io.signals import districts_changed
    from companies.models import Company

    case_transitioned.connect(_on_case_transitioned, dispatch_uid="obligations.case_transitioned")
    districts_changed.connect(_on_districts_changed, dispatch_uid="obligations.districts_changed")
    post_save.connect(_on_company_saved, sender=Company, dispatch_uid="obligations.company_saved")
