"""The site's URLs plus views that fail on purpose, for the error-page tests (tests/security/test_error_pages.py)."""

from django.db import OperationalError
from django.urls import path

from invest.urls import handler500  # noqa: F401 - the resolver reads it from this module
from invest.urls import urlpatterns as site_patterns


def boom(request):
    raise RuntimeError("secret detail that must never reach the page")


def database_gone(request):
    raise OperationalError("connection to server at 10.0.0.5 failed: the database is down")


urlpatterns = [
    path("boom/", boom),
    path("api/v1/boom/", boom),
    path("database-gone/", database_gone),
    path("api/v1/database-gone/", database_gone),
    *site_patterns,
]
