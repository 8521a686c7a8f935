"""Everything under /api/: the schema and its two readers, v1, and a JSON 404 for anything else.

Importing this module also installs the token admin (see invest.api.admin); invest/urls.py imports it before
the admin site builds its URLs.
"""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from .admin import install_token_admin
from .core import api_not_found
from .views import RedocView, SchemaView, SwaggerView, TokenView, UserTokenView

install_token_admin()


def build_router() -> SimpleRouter:
    """The v1 router. Each app's api package registers its viewsets here."""
    from applications.api import register as register_applications
    from applications.documents.api import register as register_documents
    from companies.api import register as register_companies
    from policies.api import register as register_policies

    router = SimpleRouter()
    for register in (register_policies, register_companies, register_applications, register_documents):
        register(router)
    return router


def extra_v1_urls() -> list:
    from applications.api import urlpatterns as application_urls
    from applications.documents.api import urlpatterns as document_urls
    from companies.api import urlpatterns as company_urls
    from policies.api import urlpatterns as policy_urls

    return [*policy_urls, *company_urls, *application_urls, *document_urls]


def build_urlpatterns() -> list:
    """Everything under /api/: the schema and its two readers, then v1, then a JSON 404 for the rest."""
    v1 = [
        path("auth/token/", TokenView.as_view(), name="token"),
        path("users/<int:user_id>/token/", UserTokenView.as_view(), name="user-token"),
        *extra_v1_urls(),
        *build_router().urls,
    ]
    return [
        path("schema/", SchemaView.as_view(), name="api-schema"),
        path("docs/", SwaggerView.as_view(), name="api-docs"),
        path("redoc/", RedocView.as_view(), name="api-redoc"),
        path("v1/", include((v1, "v1"), namespace="v1")),
        re_path(r"^", api_not_found),
    ]


urlpatterns = build_urlpatterns()
