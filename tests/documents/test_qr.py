"""The verification QR code: the faster mask choice gives exactly the symbol segno makes on its own."""

import random

import segno
from segno import encoder

from applications.documents import qr
from applications.documents.rendering import verify_url


def _segno_alone(content, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(encoder, "find_and_apply_best_mask", qr._ORIGINAL_FIND_AND_APPLY_BEST_MASK)
        return segno.make(content, error="m", micro=False)


def test_the_fast_mask_choice_makes_the_same_symbol_as_segno(monkeypatch, settings):
    rnd = random.Random(18004)
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    contents = [verify_url("".join(rnd.choice(alphabet) for _ in range(16))) for _ in range(150)]
    settings.SITE_URL = "https://film.jiangjin.example"
    contents += [verify_url("".join(rnd.choice(alphabet) for _ in range(16))) for _ in range(150)]
    contents += ["x", "江津影扶〔2026〕12号", "https://example.com/" + "a" * 200]  # other versions and modes
    scored = []
    penalty = qr._penalty
    monkeypatch.setattr(qr, "_penalty", lambda rows, width: scored.append(width) or penalty(rows, width))
    masks = set()
    for content in contents:
        ours, theirs = qr.make(content), _segno_alone(content, monkeypatch)
        assert (ours.version, ours.error, ours.mask) == (theirs.version, theirs.error, theirs.mask), content
        assert ours.matrix == theirs.matrix, content
        masks.add(ours.mask)
    assert len(scored) == 8 * len(contents)  # every symbol went through the fast path, all eight masks scored
    assert len(masks) >= 6  # and the scores really decide: many different masks won


def test_the_png_decodes_to_the_verification_link(settings):
    settings.SITE_URL = "https://film.jiangjin.example"
    import base64
    import io

    from PIL import Image

    uri = qr.png_data_uri(verify_url("ABCDEFGHJKMNPQRS"))
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("1")
    symbol = qr.make(verify_url("ABCDEFGHJKMNPQRS"))
    size = len(symbol.matrix)
    assert image.size == (size + 4, size + 4)  # one pixel per module and a two-module quiet zone
    for i in range(size):
        for j in range(size):
            assert (image.getpixel((j + 2, i + 2)) == 0) == bool(symbol.matrix[i][j])
