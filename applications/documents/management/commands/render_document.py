"""Render one document type with sample data, for managers who edit the templates in templates/documents/pdf/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from applications.documents import rendering, samples
from applications.documents.constants import DocumentKind, format_number, issuer_for
from applications.documents.models import new_verification_code


class Command(BaseCommand):
    help = (
        "Render a document type to PDF (or HTML with --html) with sample data; nothing is stored or numbered. "
        "`render_document pending` renders issued documents that have no PDF yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[*DocumentKind.values, "pending"], help="document type key, or 'pending'")
        parser.add_argument("--sample", action="store_true", help="use the built-in sample case")
        parser.add_argument("--out", help="output file, e.g. decision.pdf")
        parser.add_argument("--html", action="store_true", help="write the HTML instead of the PDF")

    def handle(self, *args, kind: str, sample: bool, out: str | None, html: bool, **options):
        if kind == "pending":
            # After a queue outage: render every issued document that has no file yet (each at most once).
            from applications.documents.services import render_pending_documents

            self.stdout.write(f"rendered {render_pending_documents()} document(s)")
            return
        if not out:
            raise CommandError("--out FILE is required.")
        if not sample:
            raise CommandError("Only --sample is supported: issued documents are rendered by the task queue.")
        today: dt.date = timezone.localdate()
        arguments = {
            "kind": kind,
            "context": samples.sample_context(kind),
            "number": format_number(issuer_for(kind), today.year, 1),
            "code": new_verification_code(),
            "issued_on": today,
        }
        target = Path(out)
        if html:
            target.write_text(rendering.standalone_html(rendering.render_html(**arguments)), encoding="utf-8")
        else:
            target.write_bytes(rendering.render_pdf(**arguments))
        self.stdout.write(f"{target} ({target.stat().st_size:,} bytes)")
