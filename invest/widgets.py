"""Form widgets shared by the apps."""

from __future__ import annotations

from django import forms


class HtmlDateInput(forms.DateInput):
    """An ``<input type="date">`` whose value is always ISO ``2021-03-15``.

    A browser's date input accepts only that form; Django's DateInput writes the active language's first input
    format instead (``2021/03/15`` in zh-hans), which the browser discards, so a prefilled date arrived empty.
    """

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
