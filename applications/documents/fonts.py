"""Document fonts: Noto Serif CJK SC cut down once to the characters official documents use.

WeasyPrint subsets every embedded font on every render. Subsetting the full Noto Serif CJK collection
(65,535 glyphs, kept at their glyph ids) costs about 45 ms per weight per page and leaves ~130 KB of
empty glyph slots in each PDF. A font pre-cut to GB 2312 (6,763 hanzi), ASCII, CJK punctuation and
full-width forms has ~7,800 glyphs, so the per-render subset is cheaper and the PDF about half the size.
Characters outside the cut (a rare character in a company name) fall back to the full system font
through the CSS font-family list, so nothing ever prints as a blank box.

The cut fonts are generated with HarfBuzz's subsetter (libharfbuzz-subset0, which WeasyPrint already needs)
into var/fonts on first use, written to a temporary name and renamed, so concurrent workers never read a
half-written file.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

from django.conf import settings

SOURCES = {
    "regular": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "jj-serif-regular.otf"),
    "bold": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", "jj-serif-bold.otf"),
}
# Face index of "Noto Serif CJK SC" inside the Debian fonts-noto-cjk collections (JP, KR, SC, TC, HK).
SC_FACE_NAME = "Noto Serif CJK SC"

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
void hb_blob_destroy (hb_blob_t *blob);
const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t *hb_face_reference_blob (hb_face_t *face);
unsigned int hb_face_count (hb_blob_t *blob);
void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
hb_subset_input_t *hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set (hb_subset_input_t *input);
void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""


def document_codepoints() -> list[int]:
    """ASCII, Latin-1 signs (¥), general punctuation, CJK punctuation, GB 2312 and full-width forms."""
    points: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100)) | set(range(0x2000, 0x2070))
    points |= set(range(0x2460, 0x24A0)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.update(map(ord, bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(points)


def font_dir() -> Path:
    return Path(getattr(settings, "DOCUMENT_FONT_DIR", settings.BASE_DIR / "var" / "fonts"))


def _sc_face_index(path: str) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == SC_FACE_NAME or font["name"].getDebugName(16) == SC_FACE_NAME:
            return index
    raise LookupError(f"{SC_FACE_NAME} not found in {path}; install fonts-noto-cjk")


def _cut(source: str, target: Path) -> None:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    hb = ffi.dlopen("harfbuzz")
    hb_subset = ffi.dlopen("harfbuzz-subset")
    blob = hb.hb_blob_create_from_file_or_fail(source.encode())
    if blob == ffi.NULL:
        raise FileNotFoundError(source)
    face = hb.hb_face_create(blob, _sc_face_index(source))
    subset_input = hb_subset.hb_subset_input_create_or_fail()
    unicodes = hb_subset.hb_subset_input_unicode_set(subset_input)
    for point in document_codepoints():
        hb.hb_set_add(unicodes, point)
    hb_subset.hb_subset_input_set_flags(subset_input, 0)
    cut = hb_subset.hb_subset_or_fail(face, subset_input)
    if cut == ffi.NULL:
        raise RuntimeError(f"HarfBuzz could not subset {source}")
    out_blob = hb.hb_face_reference_blob(cut)
    length = ffi.new("unsigned int *")
    data = ffi.buffer(hb.hb_blob_get_data(out_blob, length), length[0])[:]
    for release, obj in ((hb.hb_blob_destroy, out_blob), (hb.hb_face_destroy, cut), (hb.hb_face_destroy, face)):
        release(obj)
    hb_subset.hb_subset_input_destroy(subset_input)
    hb.hb_blob_destroy(blob)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


@cache
def document_fonts() -> dict[str, Path]:
    """Paths of the cut fonts, generating any that are missing; {} when the system fonts are absent."""
    paths = {}
    for weight, (source, name) in SOURCES.items():
        target = font_dir() / name
        if not target.exists():
            if not Path(source).exists():
                return {}
            _cut(source, target)
        paths[weight] = target
    return paths


def font_face_css() -> str:
    """@font-face rules for the cut fonts, or nothing (the system Noto Serif CJK SC then serves)."""
    fonts = document_fonts()
    return "".join(
        f'@font-face {{ font-family: "JJ Serif"; src: url("{path.as_uri()}"); font-weight: {css_weight}; }}\n'
        for weight, css_weight in (("regular", "normal"), ("bold", "bold"))
        if (path := fonts.get(weight))
    )
