"""REST API of the company registry: managers list, search and edit; members read their own companies."""

from __future__ import annotations

urlpatterns: list = []


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    from .views import CompanyViewSet

    router.register("companies", CompanyViewSet, basename="company")
