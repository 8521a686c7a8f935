"""The label of a form field or material of an item (kept in the item's JSON lists) in the active language.

The model's text columns are translated by django-modeltranslation (policies/translation.py); the labels inside
`form_fields` and `materials` are list entries, not columns, so an English label is an optional `label_en` key
beside `label` (entered in the admin's JSON), shown on English pages with the Chinese `label` as the fallback.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def spec_label(spec: dict[str, Any]) -> str:
    language = get_language() or ""
    if not language.startswith("zh") and spec.get("label_en"):
        return str(spec["label_en"])
    return str(spec.get("label") or "")
