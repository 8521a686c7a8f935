"""Public REST API of the policy catalogue: policies, support items and the eligibility calculator."""

from __future__ import annotations

from django.urls import path


def _urls() -> list:
    from .views import CalculatorView

    return [path("calculator/", CalculatorView.as_view(), name="calculator")]


urlpatterns = _urls()


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    from .views import ItemViewSet, PolicyViewSet

    router.register("policies", PolicyViewSet, basename="policy")
    router.register("items", ItemViewSet, basename="item")
