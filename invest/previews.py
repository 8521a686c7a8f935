"""Server-side previews of uploaded PDFs: the first page as a PNG (poppler's pdftoppm, with a time limit).

Shown as an image, the same in every browser (a sandboxed PDF in a frame stays blank in Chromium), and no
uploaded PDF runs in the viewer's browser. The case page's material preview does the same in
applications.portal.views.material_preview.
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
