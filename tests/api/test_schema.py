"""The OpenAPI schema is valid, and every operation in it is reached by some API test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from .conftest import API_TEST_DIR, HITS, SELECTED_MODULES

METHODS = {"get", "post", "put", "patch", "delete"}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item if method in METHODS}


def test_schema_validates_without_warnings(tmp_path):
    """drf-spectacular checks the document against the OpenAPI 3 JSON schema; a warning is a failure too."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3.0")


def template_regex(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


@pytest.mark.api_coverage
def test_every_operation_in_the_schema_is_reached_by_a_test(db):
    # The fuzz run talks to a live server, not through the recording client, so it does not count here.
    all_modules = {p.name for p in Path(API_TEST_DIR).glob("test_*.py")} - {"test_fuzz.py"}
    if not all_modules <= SELECTED_MODULES:
        pytest.skip("schema coverage is only judged when the whole of tests/api runs")
    uncovered = []
    for method, path in sorted(schema_operations()):
        pattern = template_regex(path)
        if not any(m == method and status < 400 and pattern.match(p) for m, p, status in HITS):
            uncovered.append(f"{method} {path}")
    assert uncovered == [], "operations no test reaches successfully: " + ", ".join(uncovered)
