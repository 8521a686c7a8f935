from django.apps import AppConfig


class InvestConfig(AppConfig):
    name = "invest"
    verbose_name = "Jiangjin film-industry support service"

    def ready(self) -> None:
        from django.contrib.auth.models import Group, User
        from django.db.models.signals import m2m_changed, post_save, pre_delete

        from . import checks, twins  # noqa: F401 - register the production start-up checks and the twins' check
        from .roles import group_renamed_or_deleted, groups_changed

        # A user's roles are cached across requests (invest.hotcache): read again when their groups change.
        m2m_changed.connect(groups_changed, sender=User.groups.through, dispatch_uid="hotcache-user-groups")
        post_save.connect(group_renamed_or_deleted, sender=Group, dispatch_uid="hotcache-group-saved")
        pre_delete.connect(group_renamed_or_deleted, sender=Group, dispatch_uid="hotcache-group-deleted")
