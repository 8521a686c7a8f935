"""Who hears about a case: the applicant's members (the sentence the workflow table gives each step) and the
staff whose queue the case lands in. Inbox entries now, e-mail and SMS after the commit (invest.notify)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from companies.selectors import member_users
from invest.notify import mark_read, notify
from invest.roles import users_with_roles

from .. import workflow
from ..models import Application


def _applicant_users(app: Application) -> list:
    return member_users(app.company_id)


def _queue_users(app: Application) -> list:
    roles = workflow.roles_acting_in(app.state) - {"applicant"}
    return users_with_roles(*roles) if roles else []


def _notify(users: Iterable, app: Application | None, event: str, subject: Any, body: Any) -> None:
    """Inbox entries now, e-mail and SMS after the commit: all through ``invest.notify.notify``."""
    notify(users, event=event, subject=str(subject), body=str(body), application=app)


def _notify_transition(app: Application, spec: workflow.Transition, comment: str) -> None:
    state = workflow.STATE_BY_KEY[app.state]
    body = spec.applicant_sentence(app.state, title=app.project_title, case=app.case_number)
    if body is not None:
        if comment:
            body = f"{body}\n{_('说明：')}{comment}"
        if app.due_date and app.due_kind == "correction":
            body = f"{body}\n" + str(_("请在 %(d)s 前完成补正。") % {"d": app.due_date})
        _notify(
            _applicant_users(app),
            app,
            f"case.{spec.key}",
            _("【%(case)s】%(state)s") % {"case": app.case_number, "state": state.label},
            body,
        )
    queue = _queue_users(app)
    if queue and app.state not in spec.sources:  # the case moved on (a part payment leaves it where it was)
        _notify(
            queue,
            app,
            "queue",
            _("待办：%(case)s %(state)s") % {"case": app.case_number, "state": state.label},
            _("案件“%(title)s”已进入“%(state)s”阶段，等待您办理。")
            % {"title": app.project_title, "state": state.label},
        )


def mark_notifications_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's inbox entries read (all, or the given ids). Returns how many changed."""
    return mark_read(user, ids=ids)
