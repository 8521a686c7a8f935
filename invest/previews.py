"""Server-side previews of uploaded PDFs: the first page as a PNG (poppler's pdftoppm, with a time limit).

Shown as an image, the same in every browser (a sandboxed PDF in a frame stays blank in Chromium), and no
uploaded PDF runs in the viewer's browser. The case page's material preview does the same in
applications.portal.views.materials.material_preview.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def pdf_page_png(field_file, *, page: int = 1, dpi: int = 80, timeout: int = 20) -> bytes | None:
    """One page of a stored PDF as PNG bytes, or None when it cannot be rendered."""
    with tempfile.TemporaryDirectory(prefix="preview-") as tmp:
        source = Path(tmp) / "in.pdf"
        with field_file.open("rb") as handle:
            source.write_bytes(handle.read())
        try:
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    str(dpi),
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-singlefile",
                    str(source),
                    str(Path(tmp) / "page"),
                ],
                capture_output=True,
                timeout=timeout,
                check=True,
            )
            return (Path(tmp) / "page.png").read_bytes()
        except (subprocess.SubprocessError, OSError):
            return None


#: Kinds a browser may show inline; everything else is downloaded.
INLINE_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
#: Whatever got past the upload checks runs nowhere: a sandboxed document has no scripts, no forms, no plug-in
#: navigation and a unique origin (no cookies, no access to the site), whether opened inline or not.
UPLOAD_CSP = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'"


def _private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def stored_file_response(field_file, *, kind: str, name: str, inline: bool):
    """An uploaded file (material, business licence) for someone allowed to see it: sandboxed, never cached."""
    import mimetypes

    from django.http import FileResponse

    inline = inline and kind in INLINE_TYPES
    content_type = INLINE_TYPES.get(kind) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(field_file.open("rb"), content_type=content_type, as_attachment=not inline, filename=name)
    response["Content-Security-Policy"] = UPLOAD_CSP
    return _private(response)


def page_preview_response(field_file, *, page: int = 1):
    """One page of a stored PDF as a PNG response, or a 422 that says to download the file instead."""
    from django.http import HttpResponse
    from django.utils.translation import gettext as _

    png = pdf_page_png(field_file, page=page)
    if png is None:
        return HttpResponse(_("无法生成预览，请下载原文件查看。"), status=422, content_type="text/plain; charset=utf-8")
    return _private(HttpResponse(png, content_type="image/png"))
