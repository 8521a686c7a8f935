"""HTML and PDF for a document, from its frozen context only.

Nothing here reads the database: the same frozen context, number and code always give the same page, so
a PDF rendered late (by the task queue) shows what was decided at issue time. WeasyPrint gets a URL fetcher
that refuses the network: a template edited by a manager can reference local static files and data: URIs,
never a remote address (no tracking pixels, no server-side request forgery, no hanging renders).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from .constants import DocumentKind
from .fonts import font_dir, font_face_css

TEMPLATE_DIR = "documents/pdf"


class LocalOnlyURLFetcher(URLFetcher):
    """Serves data: URIs and files below the allowed folders; everything else is refused."""

    def __init__(self, allowed_roots: list[Path] | None = None):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        roots = allowed_roots or [settings.BASE_DIR / "static", settings.BASE_DIR / "templates", font_dir()]
        self.allowed_roots = [Path(root).resolve() for root in roots]

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            from urllib.request import url2pathname

            path = Path(url2pathname(url.split("?")[0].removeprefix("file://").removeprefix("file:"))).resolve()
            if not any(path.is_relative_to(root) for root in self.allowed_roots):
                raise ValueError(f"refused to read a file outside the document folders: {url}")
        elif not url.startswith("data:"):
            raise ValueError(f"refused to fetch a non-local URL while rendering a document: {url}")
        return super().fetch(url, headers)


def verify_url(code: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/verify/{code}"


def display_code(code: str) -> str:
    """ABCD-EFGH-JKMN-PQRS: grouped in fours so it can be read out and typed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2)


def date_text(value: dt.date | str | None) -> str:
    """2026年11月26日, the way dates are written on official documents."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.year}年{value.month}月{value.day}日"


def render_html(*, kind: str, context: dict[str, Any], number: str, code: str, issued_on: dt.date) -> str:
    url = verify_url(code)
    page = {
        "c": context,
        "title": context.get("title") or DocumentKind(kind).label,
        "authority": context.get("authority", ""),
        "number": number,
        "issued_on_text": date_text(issued_on),
        "verify_url": url,
        "verification_code_display": display_code(code),
        "qr_data_uri": qr_data_uri(url),
        "font_face_css": font_face_css(),
    }
    with translation.override("zh-hans"):
        return render_to_string(f"{TEMPLATE_DIR}/{kind}.html", page)


_font_config: FontConfiguration | None = None


def _shared_font_config() -> FontConfiguration:
    """One font configuration per process: fontconfig setup is the slow part of a first render."""
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


def html_to_pdf(html: str) -> bytes:
    return HTML(
        string=html, base_url=str(settings.BASE_DIR / "static") + "/", url_fetcher=LocalOnlyURLFetcher()
    ).write_pdf(
        font_config=_shared_font_config(),
        uncompressed_pdf=False,
        hinting=False,
        full_fonts=False,
    )


def render_pdf(*, kind: str, context: dict[str, Any], number: str, code: str, issued_on: dt.date) -> bytes:
    return html_to_pdf(render_html(kind=kind, context=context, number=number, code=code, issued_on=issued_on))
