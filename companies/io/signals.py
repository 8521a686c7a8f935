"""Signals of the company import, for the apps that watch the registry (the obligations' registry check)."""

from django.dispatch import Signal

#: Sent inside an applied import's transaction, with kwargs: company_ids (the existing companies whose
#: registration_district or tax_district the import changed), actor (the user, or None for the command).
districts_changed = Signal()
