"""REST API endpoints of this app, registered on the v1 router by invest.api."""

from __future__ import annotations

urlpatterns: list = []


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
