"""The verification QR code of a document: segno, with a faster choice of the data mask.

ISO/IEC 18004 has the encoder try all eight data masks and keep the one with the lowest penalty score
(long runs, 2×2 blocks, finder-like 1:1:3:1:1 patterns, dark/light balance), so that scanners read the
symbol reliably. segno does this module by module in Python: about 6 ms of the 9 ms a code takes, which was
a tenth of a one-page decision's render. The same scores are computed here on whole rows and columns at
once (rows as integers and strings: bit operations, regular expressions, str.find), and segno is then asked
for the symbol with that mask. The result is the symbol segno would have made on its own, module for
module (tests/documents/test_qr.py compares them over many codes); anything this fast path does not cover
(Micro QR, a matrix with unset modules) goes to segno's own search.
"""

from __future__ import annotations

import re
from functools import cache

import segno
from segno import encoder as _encoder

from invest.twins import Twin

# A fast twin of segno's mask choice (invest/twins.py): the start-up check compares this with the installed version.
TWIN = Twin(library="segno", verified="1.6.6", test="tests/documents/test_qr.py")

_ORIGINAL_FIND_AND_APPLY_BEST_MASK = _encoder.find_and_apply_best_mask
_RUN_OF_FIVE = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = "1011101"
_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


@cache
def _mask_bits(width: int) -> tuple[tuple[int, ...], ...]:
    """Per data mask, per row: the bits that the mask flips (data modules only; bit width-1-j is column j)."""
    function = _encoder.make_matrix(width, width)
    _encoder.add_finder_patterns(function, width, width)
    _encoder.add_alignment_patterns(function, width, width)
    function[-8][8] = 0x1  # the dark module, as segno marks it
    return tuple(
        tuple(
            int("".join("1" if function[i][j] > 0x1 and pattern(i, j) else "0" for j in range(width)), 2)
            for i in range(width)
        )
        for pattern in _encoder.get_data_mask_functions(False)
    )


def _finder_like_penalty(line: str, size: int) -> int:
    """Penalty N3 of one row or column, counted exactly as segno counts it."""
    count = 0
    index = line.find(_FINDER_LIKE)
    while index != -1:
        offset = index + 7
        if index in (0, size - 7) or "1" not in line[max(index - 4, 0) : index] or "1" not in line[offset : offset + 4]:
            count += 40
        else:
            offset = index + 4
        index = line.find(_FINDER_LIKE, offset)
    return count


def _penalty(rows: list[int], width: int) -> int:
    """Penalty score N1 + N2 + N3 + N4 of a masked matrix given as row integers (ISO/IEC 18004:2015, 7.8.3.1)."""
    digits = f"0{width}b"
    lines = [format(row, digits) for row in rows]
    lines += ["".join(column) for column in zip(*lines, strict=True)]
    n1 = sum(len(run) - 2 for line in lines for run in _RUN_OF_FIVE.findall(line))
    pairs = (1 << (width - 1)) - 1
    n2 = 0
    for above, row in zip(rows, rows[1:], strict=False):
        same = ~(row ^ above)
        n2 += (same & (same >> 1) & ~(row ^ (row >> 1)) & pairs).bit_count()
    n3 = sum(_finder_like_penalty(line, width) for line in lines)
    dark = sum(row.bit_count() for row in rows)
    n4 = 10 * int(abs(float(dark) / (width**2) * 100 - 50) / 5)
    return n1 + 3 * n2 + n3 + n4


def _find_and_apply_best_mask(matrix, width, height, proposed_mask=None):
    if proposed_mask is None and width == height and width >= 21 and all(max(row) <= 0x1 for row in matrix):
        rows = [int(row.translate(_AS_DIGITS), 2) for row in matrix]
        scores = [_penalty([r ^ m for r, m in zip(rows, flips, strict=True)], width) for flips in _mask_bits(width)]
        proposed_mask = scores.index(min(scores))  # the first of equal scores, as segno keeps it
    return _ORIGINAL_FIND_AND_APPLY_BEST_MASK(matrix, width, height, proposed_mask)


# segno looks the function up in its module on every encode; the replacement gives the same result.
_encoder.find_and_apply_best_mask = _find_and_apply_best_mask


def make(content: str) -> segno.QRCode:
    """A QR code (not Micro QR) at error correction level M or higher, with segno's choice of data mask."""
    return segno.make(content, error="m", micro=False)


def png_data_uri(content: str) -> str:
    """A PNG of one pixel per module with a two-module quiet zone, scaled up crisply by the print style."""
    return make(content).png_data_uri(scale=1, border=2)
