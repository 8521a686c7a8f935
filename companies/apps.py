from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = _("企业")

    def ready(self) -> None:
        # A user's companies are cached across requests (companies.selectors.member_company_ids).
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .models import Company, Membership
        from .selectors import company_members_changed, memberships_changed

        post_save.connect(memberships_changed, sender=Membership, dispatch_uid="hotcache-membership-saved")
        post_delete.connect(memberships_changed, sender=Membership, dispatch_uid="hotcache-membership-deleted")
        m2m_changed.connect(
            company_members_changed, sender=Company.members.through, dispatch_uid="hotcache-company-members"
        )
