"""REST API of issued documents: per case, the PDF, and public verification by code."""

from __future__ import annotations

from django.urls import path, re_path

from .views import ApplicationDocumentsView, DocumentPdfView, VerifyView

urlpatterns = [
    path("applications/<int:pk>/documents/", ApplicationDocumentsView.as_view(), name="application-documents"),
    path("documents/<int:pk>/pdf", DocumentPdfView.as_view(), name="document-pdf"),
    re_path(r"^verify/(?P<code>[^/]+)$", VerifyView.as_view(), name="verify"),
]


def register(router) -> None:
    """This app has no viewsets; its endpoints are plain views in urlpatterns."""
