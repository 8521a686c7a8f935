"""Company records may be created after the lead that brought them settled; link them when they arrive."""

from __future__ import annotations

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
