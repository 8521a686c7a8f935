from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("扶持政策")

    def ready(self) -> None:
        # The queue's item and round choices are kept per process for the catalogue's version
        # (policies.selectors.filter_choices).
        from django.db.models.signals import post_delete, post_save

        from .models import Policy, Round, SupportItem
        from .selectors import catalogue_changed

        for model in (Policy, SupportItem, Round):
            post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"hotcache-{model.__name__}-saved")
            post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"hotcache-{model.__name__}-deleted")
