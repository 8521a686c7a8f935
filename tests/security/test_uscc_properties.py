"""Property-based tests (hypothesis) for the unified social credit code functions in companies/uscc.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from companies.uscc import (
    ALPHABET,
    VALUES,
    WEIGHTS,
    check_char,
    is_valid,
    make_code,
    normalize,
    problems,
    validate_credit_code,
)

FORBIDDEN = "IOSVZ"
bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)
valid_codes = bodies.map(lambda body: body + check_char(body))
# What people really type: ASCII, full-width forms, CJK punctuation and spaces, letters in either case.
typed_text = st.text(
    alphabet=st.sampled_from(ALPHABET + ALPHABET.lower() + FORBIDDEN + " -_\t\u3000\u00a0")
    | st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
    max_size=30,
)


def full_width(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch


@st.composite
def typed_forms(draw, code: str) -> str:
    """The code as a person might type it: mixed case, full-width characters, spaces and hyphens."""
    out = []
    for ch in code:
        style = draw(st.sampled_from(["as_is", "lower", "full", "full_lower"]))
        ch = {"as_is": ch, "lower": ch.lower(), "full": full_width(ch), "full_lower": full_width(ch.lower())}[style]
        out.append(draw(st.sampled_from(["", "", " ", "-", "\u3000", "\u00a0"])) + ch)
    return "".join(out) + draw(st.sampled_from(["", " ", "\t", "\n"]))


def test_worked_example_from_the_domain_brief():
    body = "91350100M000100Y4"
    assert sum(VALUES[ch] * w for ch, w in zip(body, WEIGHTS, strict=True)) == 1640
    assert check_char(body) == "3"
    assert make_code(body) == "91350100M000100Y43"
    assert is_valid("91350100M000100Y43")
    assert is_valid(normalize("９１３５ ０１００ m０００ １００ y４３"))


def test_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_alphabet_has_31_characters_without_the_forbidden_letters():
    assert len(ALPHABET) == 31 and not set(FORBIDDEN) & set(ALPHABET)


@given(typed_text)
@example("９１５００１１６ＭＡ６０ＡＢＣＤ１Ｘ")
def test_normalize_is_idempotent_on_typed_input(raw):
    once = normalize(raw)
    assert normalize(once) == once


@given(st.text())
@settings(max_examples=300)
def test_normalize_output_never_contains_spaces_hyphens_or_lower_case_ascii(raw):
    out = normalize(raw)
    assert not any(ch in out for ch in " \t\r\n-_\u3000\u00a0")
    assert not any("a" <= ch <= "z" for ch in out)


@given(valid_codes)
def test_make_code_always_gives_a_valid_code(code):
    assert is_valid(code)
    assert problems(code) == []
    validate_credit_code(code)


@given(valid_codes.flatmap(lambda code: st.tuples(st.just(code), typed_forms(code))))
def test_a_valid_code_stays_valid_however_it_is_typed(pair):
    code, typed = pair
    assert normalize(typed) == code
    assert is_valid(normalize(typed))
    validate_credit_code(typed)


@given(valid_codes, st.integers(min_value=0, max_value=17), st.sampled_from(ALPHABET + FORBIDDEN))
def test_any_single_character_substitution_is_detected(code, position, replacement):
    if code[position] == replacement:
        replacement = ALPHABET[(VALUES[replacement] + 1) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    assert not is_valid(changed)
    assert problems(changed)
    with pytest.raises(ValidationError):
        validate_credit_code(changed)


@given(valid_codes, st.integers(min_value=0, max_value=15))
def test_swapping_two_neighbouring_characters_of_the_first_17_is_detected(code, position):
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    assert not is_valid(swapped)


@given(valid_codes, st.integers(min_value=1, max_value=17))
def test_dropping_a_character_is_reported_as_a_length_problem(code, position):
    shorter = code[:position] + code[position + 1 :]
    assert not is_valid(shorter)
    assert "18位" in problems(shorter)[0]


@given(typed_text | st.text(max_size=25))
@settings(max_examples=300)
def test_problems_is_empty_exactly_when_the_code_is_valid(raw):
    code = normalize(raw)
    assert (problems(code) == []) == is_valid(code)
    for message in problems(code):
        assert "请" in message or "位" in message  # Chinese, and says where or what to check


@given(st.text())
@example("\u0390")
@settings(max_examples=50)
def test_normalize_is_idempotent_on_any_unicode(raw):
    once = normalize(raw)
    assert normalize(once) == once
