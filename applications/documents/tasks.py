"""Background rendering: web requests never wait on WeasyPrint."""

from __future__ import annotations

from django_tasks import task


@task()
def render_document_task(document_id: int) -> str:
    """Render one document's PDF (no-op when it already has one); returns its SHA-256."""
    from .services import render_document

    return render_document(document_id).sha256
