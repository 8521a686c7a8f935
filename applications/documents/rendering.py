"""HTML and PDF for a document, from its frozen context only.

Nothing here reads the database: the same frozen context, number and code always give the same page, so
a PDF rendered late (by the task queue) shows what was decided at issue time. WeasyPrint gets a URL fetcher
that refuses the network: a template edited by a manager can reference local static files and data: URIs,
never a remote address (no tracking pixels, no server-side request forgery, no hanging renders).
"""

from __future__ import annotations

import datetime as dt
import zlib
from pathlib import Path
from typing import Any

import pydyf
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from . import qr
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
    """A PNG of one pixel per module, scaled up crisply by print CSS (image-rendering: pixelated): smaller and faster
    to place than an SVG path. The data mask is chosen as segno chooses it, only faster (see qr.py)."""
    return qr.png_data_uri(url)


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
    }
    with translation.override("zh-hans"):
        return render_to_string(f"{TEMPLATE_DIR}/{kind}.html", page)


PRINT_CSS = Path(__file__).resolve().parents[2] / "templates" / "documents" / "pdf" / "print.css"

_font_config: FontConfiguration | None = None
_stylesheet: tuple[float, CSS] | None = None


def print_css_text() -> str:
    """The @font-face rules of the cut fonts followed by the print style sheet."""
    return font_face_css() + PRINT_CSS.read_text(encoding="utf-8")


def _shared_stylesheet() -> tuple[FontConfiguration, CSS]:
    """One font configuration and one parsed print style per process (re-read when print.css changes).

    Parsing the style sheet and loading the @font-face fonts is a good part of a one-page render; a worker
    renders thousands of documents with the same style, so it is done once.
    """
    global _font_config, _stylesheet
    mtime = PRINT_CSS.stat().st_mtime
    if _font_config is None or _stylesheet is None or _stylesheet[0] != mtime:
        _font_config = FontConfiguration()
        css = CSS(string=print_css_text(), font_config=_font_config, url_fetcher=LocalOnlyURLFetcher())
        _stylesheet = (mtime, css)
    return _font_config, _stylesheet[1]


def standalone_html(html: str) -> str:
    """The same page with its style inlined: for `render_document --html` and the plain-WeasyPrint baseline."""
    return html.replace("</head>", f"<style>\n{print_css_text()}</style>\n</head>", 1)


FONT_DEFLATE_LEVEL = 6


def _deflate_fonts_faster(document, pdf: pydyf.PDF) -> None:
    """WeasyPrint finisher: deflate the embedded font files at zlib level 6 instead of pydyf's level 9.

    The font subsets are most of a page's bytes; level 9 spends ~3 ms more per decision on them than level 6
    for about 0.2 KB (0.3 %) less. Streams made of one bytes object (font files, the QR image) are deflated
    here exactly as pydyf would, only at level 6; page content streams (lists of operators) are left to pydyf.
    """
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.compress and len(obj.stream) == 1 and isinstance(obj.stream[0], bytes):
            obj.stream = [zlib.compress(obj.stream[0], FONT_DEFLATE_LEVEL)]
            obj.extra["Filter"] = "/FlateDecode"
            obj.compress = False


def html_to_pdf(html: str) -> bytes:
    font_config, stylesheet = _shared_stylesheet()
    document = HTML(string=html, base_url=str(settings.BASE_DIR / "static") + "/", url_fetcher=LocalOnlyURLFetcher())
    return document.write_pdf(stylesheets=[stylesheet], font_config=font_config, finisher=_deflate_fonts_faster)


def render_pdf(*, kind: str, context: dict[str, Any], number: str, code: str, issued_on: dt.date) -> bytes:
    return html_to_pdf(render_html(kind=kind, context=context, number=number, code=code, issued_on=issued_on))
