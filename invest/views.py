"""Project-level pages: the home page and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
def home(request):
    """The home page leads: what is open now and until when, the items, the latest 公示, and a first step."""
    from policies.selectors import published_items

    from .home import latest_notices, open_rounds_with_days, visitor_kind

    return render(
        request,
        "home.html",
        {
            "open_rounds": open_rounds_with_days(),
            "items": published_items(),
            "notices": latest_notices(),
            "visitor": visitor_kind(request.user),
        },
    )


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception:
        # A failed query leaves the connection unusable; drop it so the next request reconnects.
        try:
            connection.close()
        except Exception:
            pass
        return False


@never_cache
@require_GET
def healthz(request):
    """200 when every part answers, 503 naming the part that does not. For load balancers and monitors."""
    checks = {"database": "ok" if database_ok() else "unavailable"}
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
