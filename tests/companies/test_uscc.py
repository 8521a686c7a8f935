"""The credit-code algorithm (GB 32100-2015) on real codes and on corrupted ones."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from companies import uscc

from .conftest import REAL_CODES


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert uscc.is_valid(code)
    assert uscc.check_char(code[:17]) == code[17]
    assert uscc.problems(code) == []


def test_worked_example_of_the_brief():
    assert uscc.check_char("91350100M000100Y4") == "3"


def test_codes_may_start_with_letters():
    code = uscc.make_code("Y1500116MA5U00001")
    assert uscc.is_valid(code)
    assert uscc.is_valid(uscc.make_code("N2500116000000001"))


@pytest.mark.parametrize("code", REAL_CODES)
def test_a_wrong_check_character_names_the_expected_one(code):
    wrong = uscc.ALPHABET[(uscc.VALUES[code[17]] + 1) % 31]
    corrupted = code[:17] + wrong
    assert not uscc.is_valid(corrupted)
    (message,) = uscc.problems(corrupted)
    assert f"应为“{code[17]}”" in message and f"而不是“{wrong}”" in message


def test_a_swapped_digit_is_detected():
    code = "914403001922038216"
    assert not uscc.is_valid(code[:5] + code[6] + code[5] + code[7:])


def test_wrong_length_is_reported_with_the_length():
    (message,) = uscc.problems("91440300192203821")
    assert "18位" in message and "17位" in message
    assert not uscc.is_valid("91440300192203821")


def test_a_character_outside_the_alphabet_is_named_with_its_position():
    code = "9144030019220382I6"  # I never appears in a code
    assert not uscc.is_valid(code)
    (message,) = uscc.problems(code)
    assert "第17位" in message and "“I”" in message


@given(st.sampled_from(REAL_CODES), st.integers(0, 17), st.sampled_from(list(uscc.ALPHABET)))
def test_every_single_character_substitution_is_detected(code, position, replacement):
    corrupted = code[:position] + replacement + code[position + 1 :]
    assert uscc.is_valid(corrupted) == (corrupted == code)


@pytest.mark.parametrize(
    "raw",
    [
        "９１４４０３００１９２２０３８２１６",  # full-width digits
        "9144 0300 1922 0382 16",
        "9144-0300-1922-0382-16",
        " 914403001922038216\t",
        "9144　0300　1922　038216",  # ideographic spaces
    ],
)
def test_normalisation_of_full_width_spaced_and_hyphenated_input(raw):
    assert uscc.normalize(raw) == "914403001922038216"


def test_normalisation_upper_cases_and_converts_full_width_letters():
    assert uscc.normalize("91330100716105852f") == "91330100716105852F"
    assert uscc.normalize("９１３３０１００７１６１０５８５２ｆ") == "91330100716105852F"


def test_validator_normalises_then_says_what_is_wrong_in_chinese():
    uscc.validate_credit_code("9133 0100 7161 0585 2f")  # valid once normalised
    with pytest.raises(ValidationError) as excinfo:
        uscc.validate_credit_code("91330100716105852G")
    assert "校验位错误" in excinfo.value.messages[0]
    assert excinfo.value.error_list[0].code == "invalid_credit_code"
