"""A transition's inputs are declared once, in its row of the workflow table: the web form and the API's
request (and so the OpenAPI schema) are both built from that declaration (issue 16 item 1)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from applications import workflow
from applications.api.serializers import transition_request_fields
from applications.portal.forms import TransitionForm

pytestmark = pytest.mark.django_db

REFERENCE = workflow.Input(
    "reference",
    "line",
    "来文编号",
    required=True,
    max_length=40,
    help="受理登记簿上的编号",
    api_help="the office's register number.",
    messages={"required": "请填写来文编号。"},
)


@pytest.fixture
def accept_takes_a_reference():
    """One more input on ONE row of the table, and no other edit."""
    spec = workflow.TRANSITION_BY_KEY["accept"]
    declared = spec.inputs
    object.__setattr__(spec, "inputs", (*declared, REFERENCE))
    yield spec
    object.__setattr__(spec, "inputs", declared)


def test_an_input_added_to_one_transition_is_in_its_web_form(accept_takes_a_reference):
    form = TransitionForm(spec=accept_takes_a_reference, application=None)
    assert list(form.fields) == ["reference", "comment"]
    field = form.fields["reference"]
    assert (field.label, field.required, field.max_length, field.help_text) == (
        "来文编号",
        True,
        40,
        "受理登记簿上的编号",
    )
    assert 'name="reference"' in form.as_div() and 'id="t-accept-reference"' in form.as_div()
    bound = TransitionForm({"comment": ""}, spec=accept_takes_a_reference, application=None)
    assert not bound.is_valid() and bound.errors["reference"] == ["请填写来文编号。"]
    # The other rows are untouched.
    assert "reference" not in TransitionForm(spec=workflow.TRANSITION_BY_KEY["archive"], application=None).fields


def test_an_input_added_to_one_transition_is_in_the_openapi_schema(accept_takes_a_reference):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = schema["components"]["schemas"]["TransitionRequestRequest"]["properties"]
    assert body["reference"] == {
        "type": "string",
        "description": "accept: the office's register number.",
        "maxLength": 40,
    }
    operation = schema["paths"]["/api/v1/applications/{id}/transitions/{name}/"]["post"]
    assert operation["x-inputs-by-transition"]["accept"] == ["comment", "reference"]
    assert operation["x-inputs-by-transition"]["archive"] == ["comment"]


def test_the_api_lists_the_declared_inputs_of_each_transition():
    """GET .../transitions/ names the same fields the web form asks for (the form adds a reason per item)."""
    assert transition_request_fields(workflow.TRANSITION_BY_KEY["request_correction"]) == [
        "comment",
        "items",
        "deadline",
    ]
    for spec in workflow.TRANSITIONS:
        assert set(transition_request_fields(spec)) == {i.name for i in spec.all_inputs}, spec.key
