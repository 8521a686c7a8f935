"""Everything that changes a case goes through here: the web pages, the API, the admin and the commands.

The modules: ``transitions`` (``perform``, the one door for state changes, and ``can`` / ``allowed_transitions``,
which say why not), ``effects`` (each transition's business), ``drafts`` (the applicant's drafts, materials and
submission), ``review`` (bulk approval into a public notice, experts, objections), ``deadlines`` (the daily run)
and ``notifications``. The names below are the ones the rest of the service imports from here.
"""

from ..workdays import WorkingCalendar, today
from .common import TransitionRefused
from .deadlines import TickResult, tick_deadlines
from .drafts import add_material, create_draft, submit, update_draft, use_company_document
from .notifications import _notify, mark_notifications_read
from .review import (
    OBJECTION_REPEAT_WINDOW,
    assign_experts,
    declare_interest,
    file_objection,
    give_opinion,
    rubric_total,
    start_public_notice,
)
from .transitions import allowed_transitions, can, perform, perform_many, record_disbursement

__all__ = [
    "OBJECTION_REPEAT_WINDOW",
    "TickResult",
    "TransitionRefused",
    "WorkingCalendar",
    "_notify",
    "add_material",
    "allowed_transitions",
    "assign_experts",
    "can",
    "create_draft",
    "declare_interest",
    "file_objection",
    "give_opinion",
    "mark_notifications_read",
    "perform",
    "perform_many",
    "record_disbursement",
    "rubric_total",
    "start_public_notice",
    "submit",
    "tick_deadlines",
    "today",
    "update_draft",
    "use_company_document",
]
