"""Company records may be created after the lead that brought them settled; link them when they arrive.

Two ways a company record arrives: a plain save (form, admin, API, factories) sends post_save for the
Company; the companies bulk import writes rows with bulk_create/executemany, which sends nothing per row,
but records a `CompanyImport` inside the same transaction, so that record's post_save triggers a sweep.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from companies.models import Company


@receiver(post_save, sender=Company, dispatch_uid="investment_link_waiting_leads")
def link_leads_to_new_company(sender, instance: Company, raw: bool = False, **kwargs) -> None:
    """Runs in the saving transaction, so a rolled-back company import also rolls back the links."""
    if raw:  # loaddata: fixtures carry their own links
        return
    from .services import link_waiting_leads

    with transaction.atomic():
        link_waiting_leads(instance)


def link_after_bulk_company_import(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    """After an applied bulk import (same transaction as its writes), link every settled lead still waiting."""
    if raw or not created or getattr(instance, "outcome", None) != "applied":
        return
    if not (getattr(instance, "new", 0) or getattr(instance, "updated", 0)):
        return
    from .services import link_all_waiting_leads

    link_all_waiting_leads(actor=getattr(instance, "actor", None))


def connect_bulk_import_hook() -> None:
    """The import record belongs to the companies app; connect only if it exists there (read-only use)."""
    try:
        model = apps.get_model("companies", "CompanyImport")
    except LookupError:
        return
    post_save.connect(link_after_bulk_company_import, sender=model, dispatch_uid="investment_link_after_import")
