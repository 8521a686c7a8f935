"""Document fonts: Noto Serif CJK SC cut down once to the characters official documents use.

WeasyPrint subsets every embedded font on every render, keeping glyph ids (HarfBuzz RETAIN_GIDS), so every
glyph slot below the highest glyph a page uses stays in the PDF as an empty entry (hmtx, vmtx, CFF offsets):
with the full Noto Serif CJK collection (65,535 glyphs) that is ~130 KB of empty slots per weight, and the
subset, compression and copying of the font all grow with the font's size, not with the page's text.

So the font is cut once, with HarfBuzz's subsetter (libharfbuzz-subset0, which WeasyPrint already needs),
into two faces per weight, cached in var/fonts:

- ``JJ Serif``: ASCII, Latin-1 signs (¥), punctuation, CJK punctuation, full-width forms, the GB 2312
  symbol rows and its 3,755 level-1 (常用) hanzi: what nearly every document uses, ~4,800 glyphs;
- ``JJ Serif Ext``: the 3,008 level-2 hanzi of GB 2312, used only by the pages that need one.

Only what a zh-CN page is shaped with is kept: the horizontal layout features (ccmp, liga, locl, kern,
mark) and, besides each script's default, the simplified-Chinese (ZHS) language system. The vertical-writing
alternates and the Japanese, Korean and traditional-Chinese locl alternates took the GB 2312 cut from 7,825
characters to 13,558 glyphs; without them a face has ~30 glyphs beyond its characters. The vertical metric
tables (vmtx, vhea, VORG) go too (4 bytes per glyph slot in every embedded subset), and so does hinting,
which WeasyPrint drops when embedding anyway. A page in GB 2312 printed with the cut is pixel-identical to
the same page printed with the full system font (tests/documents/test_fonts.py).

The two faces have different family names because WeasyPrint keys the embedded fonts by family and weight:
one name for two files would draw the glyphs of one from the other. Characters outside both fall back to the
full system font through the CSS font-family list, so nothing ever prints as a blank box (a line that mixes
in the system font sits about 0.2 mm lower, as it did with the earlier single cut).

Files are written to a temporary name and renamed, so concurrent workers never read a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

from django.conf import settings

# Cut recipe version: part of the file names, so a changed recipe never reuses an old cut.
CUT_VERSION = 2
SOURCES = {
    "regular": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "bold": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
}
# (part, CSS family name)
PARTS = (("core", "JJ Serif"), ("ext", "JJ Serif Ext"))
FAMILIES = tuple(family for _, family in PARTS)
# Face index of "Noto Serif CJK SC" inside the Debian fonts-noto-cjk collections (JP, KR, SC, TC, HK).
SC_FACE_NAME = "Noto Serif CJK SC"
# What HarfBuzz applies to horizontal Chinese and Latin text by default (the subset keeps no others).
LAYOUT_FEATURES = ("ccmp", "liga", "locl", "kern", "mark", "mkmk", "calt", "clig", "rlig")
DROP_TABLES = ("vmtx", "vhea", "VORG", "BASE", "DSIG")
# Language systems kept in GSUB/GPOS besides each script's default: simplified Chinese.
KEPT_LANGUAGE_SYSTEMS = ("ZHS ",)

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
typedef uint32_t hb_tag_t;
hb_blob_t *hb_blob_create (const char *data, unsigned int length, int mode, void *user_data, void *destroy);
void hb_blob_destroy (hb_blob_t *blob);
const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t *hb_face_reference_blob (hb_face_t *face);
hb_tag_t hb_tag_from_string (const char *str, int len);
void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
void hb_set_clear (hb_set_t *set);
hb_subset_input_t *hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set (hb_subset_input_t *input);
hb_set_t *hb_subset_input_set (hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""
HB_SUBSET_FLAGS_NO_HINTING = 0x1
HB_SUBSET_SETS_DROP_TABLE_TAG = 3
HB_SUBSET_SETS_LAYOUT_FEATURE_TAG = 6


def _gb2312_rows(first: int, last: int) -> set[int]:
    points: set[int] = set()
    for high in range(first, last + 1):
        for low in range(0xA1, 0xFF):
            try:
                points.update(map(ord, bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return points


def document_codepoints(part: str = "core") -> list[int]:
    """The characters of one part of the cut.

    core: ASCII, Latin-1 signs (¥), general punctuation, circled numbers, CJK punctuation, full-width forms,
    the GB 2312 symbol rows (1-9) and level-1 hanzi (rows 16-55); ext: the GB 2312 level-2 hanzi (rows 56-87).
    """
    if part == "ext":
        return sorted(_gb2312_rows(0xD8, 0xF7))
    points: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100)) | set(range(0x2000, 0x2070))
    points |= set(range(0x2460, 0x24A0)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    points |= _gb2312_rows(0xA1, 0xA9) | _gb2312_rows(0xB0, 0xD7)
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


def _hb_cut(data: bytes, face_index: int, codepoints: list[int]) -> bytes:
    """HarfBuzz subset of one face to the given characters, the kept layout features, no hinting."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    hb = ffi.dlopen("harfbuzz")
    hb_subset = ffi.dlopen("harfbuzz-subset")
    blob = hb.hb_blob_create(data, len(data), 0, ffi.NULL, ffi.NULL)  # HB_MEMORY_MODE_DUPLICATE: HarfBuzz keeps a copy
    face = hb.hb_face_create(blob, face_index)
    subset_input = hb_subset.hb_subset_input_create_or_fail()
    unicodes = hb_subset.hb_subset_input_unicode_set(subset_input)
    for point in codepoints:
        hb.hb_set_add(unicodes, point)
    features = hb_subset.hb_subset_input_set(subset_input, HB_SUBSET_SETS_LAYOUT_FEATURE_TAG)
    hb.hb_set_clear(features)
    for tag in LAYOUT_FEATURES:
        hb.hb_set_add(features, hb.hb_tag_from_string(tag.encode(), -1))
    drop = hb_subset.hb_subset_input_set(subset_input, HB_SUBSET_SETS_DROP_TABLE_TAG)
    for tag in DROP_TABLES:
        hb.hb_set_add(drop, hb.hb_tag_from_string(tag.encode(), -1))
    hb_subset.hb_subset_input_set_flags(subset_input, HB_SUBSET_FLAGS_NO_HINTING)
    cut = hb_subset.hb_subset_or_fail(face, subset_input)
    if cut == ffi.NULL:
        raise RuntimeError("HarfBuzz could not subset the document font")
    out_blob = hb.hb_face_reference_blob(cut)
    length = ffi.new("unsigned int *")
    out = ffi.buffer(hb.hb_blob_get_data(out_blob, length), length[0])[:]
    for release, obj in ((hb.hb_blob_destroy, out_blob), (hb.hb_face_destroy, cut), (hb.hb_face_destroy, face)):
        release(obj)
    hb_subset.hb_subset_input_destroy(subset_input)
    hb.hb_blob_destroy(blob)
    return out


def _keep_chinese_language_systems(data: bytes) -> bytes:
    """Drop the Japanese, Korean and traditional-Chinese language systems from GSUB and GPOS.

    Their locl alternates (~2,500 glyphs per face) are never used on a zh-CN page, but HarfBuzz's subsetter
    keeps every glyph a kept feature can reach in any language. What remains is exactly what a zh-CN page
    (ZHS) and a run in another script (the default language system) are shaped with.
    """
    import io

    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    font.getGlyphOrder()  # read once from the CFF charset, for the layout tables' coverage
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        for record in font[tag].table.ScriptList.ScriptRecord:
            script = record.Script
            script.LangSysRecord = [r for r in script.LangSysRecord if r.LangSysTag in KEPT_LANGUAGE_SYSTEMS]
            script.LangSysCount = len(script.LangSysRecord)
    for tag in [tag for tag in font.tables if tag not in ("GSUB", "GPOS")]:
        del font.tables[tag]  # unchanged: written back byte for byte instead of recompiled (the CFF takes ~40 s)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _cut(source: str, target: Path, codepoints: list[int]) -> None:
    data = Path(source).read_bytes()
    first = _hb_cut(data, _sc_face_index(source), codepoints)
    # Cut again once the other languages' alternates are unreachable, so they leave the font.
    cut = _hb_cut(_keep_chinese_language_systems(first), 0, codepoints)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(cut)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


@cache
def document_fonts() -> dict[tuple[str, str], Path]:
    """{(weight, part): path} of the cut fonts, generating any that are missing; {} without the system fonts."""
    paths = {}
    for weight, source in SOURCES.items():
        for part, _family in PARTS:
            target = font_dir() / f"jj-serif-{weight}-{part}-v{CUT_VERSION}.otf"
            if not target.exists():
                if not Path(source).exists():
                    return {}
                _cut(source, target, document_codepoints(part))
            paths[weight, part] = target
    return paths


def font_face_css() -> str:
    """@font-face rules for the cut fonts, or nothing (the system Noto Serif CJK SC then serves)."""
    fonts = document_fonts()
    return "".join(
        f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); font-weight: {css_weight}; }}\n'
        for part, family in PARTS
        for weight, css_weight in (("regular", "normal"), ("bold", "bold"))
        if (path := fonts.get((weight, part)))
    )
