"""Models of the applications app: the case and its records, and the working-day calendar."""

from .calendar import CalendarDay, CalendarYear  # noqa: F401
from .cases import (  # noqa: F401
    Application,
    CaseCounter,
    Clawback,
    CorrectionItem,
    CorrectionRequest,
    Disbursement,
    ExpertAssignment,
    Material,
    NoticeBatch,
    Notification,
    Objection,
    Revision,
)
