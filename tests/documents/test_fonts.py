"""The cut document fonts: small enough to embed fast, and printing exactly what the full system font prints."""

import datetime as dt
import re
import subprocess
import zlib

import pytest
from fontTools.ttLib import TTFont
from weasyprint import HTML

from applications.documents import rendering
from applications.documents.fonts import FAMILIES, document_codepoints, document_fonts, font_face_css
from applications.documents.samples import sample_context

from .conftest import pdf_text

pytestmark = pytest.mark.skipif(not document_fonts(), reason="fonts-noto-cjk is not installed")

# GB 2312 level 1 (江, 零, 壹) and level 2 (璧, 鑫, 淼), curly and straight quotes, digits, an em dash, ¥, full-width
# punctuation, bold: every way a character in the cut reaches a glyph.
GB2312_PAGE = """<html lang="zh-CN"><head><meta charset="utf-8"></head><body>
<h1>扶持资金审批决定书</h1>
<p>重庆璧山鑫淼影视传媒有限公司：你单位申报的“院线票房奖励”（编号：JJ-2026-00012）符合条件。</p>
<p>项目名称：电影《白沙往事》"Film" — ‘2026’；批准金额 ¥100,010,000.50，人民币壹亿零壹万元伍角。</p>
<p><b>核验码：ABCD-EFGH-JKMN-PQRS</b></p>
</body></html>"""
# 堃 and 㐂 are outside GB 2312: the system font prints them.
RARE_PAGE = GB2312_PAGE.replace("白沙往事", "堃㐂之歌")


def _page_png(pdf: bytes, tmp_path, name: str) -> bytes:
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-gray", "-singlefile", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
        check=True,
    )
    return (tmp_path / f"{name}.pgm").read_bytes()


def test_the_cut_fonts_print_the_same_page_as_the_full_system_font(tmp_path):
    cut = rendering.html_to_pdf(GB2312_PAGE)
    system = HTML(string=rendering.standalone_html(GB2312_PAGE).replace(font_face_css(), "")).write_pdf()
    assert "重庆璧山鑫淼影视传媒有限公司" in pdf_text(cut) and "人民币壹亿零壹万元伍角" in pdf_text(cut)
    assert sorted(pdf_text(cut)) == sorted(pdf_text(system))  # pdftotext may order the runs of two fonts differently
    assert _page_png(cut, tmp_path, "cut") == _page_png(system, tmp_path, "system")
    assert len(cut) < len(system) / 2  # the reason for the cut: the system font's empty glyph slots


def test_a_level_two_character_is_printed_from_the_ext_face_and_a_rarer_one_from_the_system_font():
    pdf = rendering.html_to_pdf(RARE_PAGE)
    assert "电影《堃㐂之歌》" in pdf_text(pdf) and "重庆璧山鑫淼影视传媒有限公司" in pdf_text(pdf)
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    names = {line.split()[0].split("+", 1)[1] for line in fonts.splitlines()[2:]}
    assert names == {"JJ-Serif", "JJ-Serif-Bold", "JJ-Serif-Ext", "Noto-Serif-CJK-SC"}


def test_an_ordinary_decision_embeds_only_the_common_faces():
    pdf = rendering.render_pdf(
        kind="approval_decision",
        context=sample_context("approval_decision", index=1),
        number="江津影扶〔2026〕12号",
        code="ABCDEFGHJKMNPQRS",
        issued_on=dt.date(2026, 11, 26),
    )
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    names = sorted(line.split()[0].split("+", 1)[1] for line in fonts.splitlines()[2:])
    assert names == ["JJ-Serif", "JJ-Serif-Bold"]
    # Deflated by our finisher (level 6), still whole OpenType files.
    font_streams = list(re.finditer(rb"<<([^<>]*/Subtype\s*/OpenType[^<>]*)>>\s*stream\n", pdf))
    assert len(font_streams) == 2
    for match in font_streams:
        assert b"/Filter /FlateDecode" in match.group(1)
        length = int(re.search(rb"/Length (\d+)", match.group(1)).group(1))
        assert zlib.decompress(pdf[match.end() : match.end() + length])[:4] == b"OTTO"
    assert len(pdf) < 100 * 1024


def test_the_faces_split_gb2312_without_overlap_and_keep_no_unused_alternates():
    core, ext = set(document_codepoints("core")), set(document_codepoints("ext"))
    assert not core & ext
    assert {ord(c) for c in "江津零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整¥“”〔〕"} <= core
    assert {ord(c) for c in "璧鑫淼"} <= ext
    assert FAMILIES == ("JJ Serif", "JJ Serif Ext")
    for (weight, part), path in document_fonts().items():
        font = TTFont(path, lazy=True)
        cmap = font.getBestCmap()
        wanted = core if part == "core" else ext
        assert set(cmap) <= wanted and len(cmap) > 0.9 * len(wanted), (weight, part)
        # Only the zh-CN (ZHS) locl alternates and no vertical forms: a few dozen glyphs beyond the characters.
        assert len(font.getGlyphOrder()) < len(cmap) + 64, (weight, part)
        assert "vmtx" not in font and "VORG" not in font
        languages = {
            record.LangSysTag
            for script in font["GSUB"].table.ScriptList.ScriptRecord
            for record in script.Script.LangSysRecord
        }
        assert languages <= {"ZHS "}
