"""REST API of cases: drafts, materials, transitions from the workflow table, timeline, expert review."""

from __future__ import annotations

urlpatterns: list = []


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    from .views import ApplicationViewSet, ExpertViewSet, NoticeViewSet

    router.register("applications", ApplicationViewSet, basename="application")
    router.register("experts", ExpertViewSet, basename="expert")
    router.register("notices", NoticeViewSet, basename="notice")
