"""Client numbers (random, with a Luhn check digit) and the restatable UIC."""

import re
from datetime import date

import pytest

from clinic_app.clients.identifiers import (
    alias_key,
    build_uic,
    luhn_check_digit,
    name_letters,
    new_client_number,
    normalise_client_number,
    normalise_uic,
)

NUMBER_FORMAT = re.compile(r"^\d{4}-\d{4}-\d$")


def _luhn_valid(digits: str) -> bool:
    """The textbook Luhn test, written independently of the code under test."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_luhn_check_digit_matches_the_textbook_example():
    assert luhn_check_digit("7992739871") == "3"
    assert _luhn_valid("79927398713")


def test_new_client_number_is_nnnn_nnnn_n_with_a_valid_check_digit():
    for _ in range(200):
        number = new_client_number()
        assert NUMBER_FORMAT.match(number), number
        assert _luhn_valid(number.replace("-", "")), number


def test_new_client_numbers_are_random_not_sequential():
    numbers = [new_client_number() for _ in range(100)]
    assert len(set(numbers)) == 100
    bodies = sorted(int(n.replace("-", "")[:8]) for n in numbers)
    assert bodies[-1] - bodies[0] > 1000


def test_client_number_is_found_with_or_without_dashes_and_spaces():
    number = new_client_number()
    digits = number.replace("-", "")
    for typed in (number, digits, f" {digits[:4]} {digits[4:8]} {digits[8]} ", f"{digits[:4]}.{digits[4:]}"):
        assert normalise_client_number(typed) == number


def test_any_single_mistyped_digit_is_caught_by_the_check_digit():
    number = new_client_number().replace("-", "")
    for position in range(9):
        for wrong in "0123456789":
            if wrong == number[position]:
                continue
            typed = number[:position] + wrong + number[position + 1 :]
            assert normalise_client_number(typed) is None, typed


@pytest.mark.parametrize("typed", ["", "12345678", "1234567890", "abcd-efgh-i", None])
def test_text_that_cannot_be_a_client_number_is_not_one(typed):
    assert normalise_client_number(typed) is None


def test_uic_is_built_from_parent_and_own_letters_birth_date_and_sex():
    assert build_uic("Maria", "Joana", date(1992, 8, 15), False, "female") == "MAJO150892F"


@pytest.mark.parametrize(("sex", "code"), [("female", "F"), ("male", "M"), ("transgender", "T")])
def test_uic_ends_with_the_sex_code(sex, code):
    assert build_uic("MA", "JO", date(1992, 8, 15), False, sex) == f"MAJO150892{code}"


def test_uic_drops_accents_from_the_letters():
    assert build_uic("Ângela", "Éva", date(1992, 8, 15), False, "female") == "ANEV150892F"
    assert build_uic("ñu", "çe", date(1992, 8, 15), False, "male") == "NUCE150892M"


def test_uic_of_an_estimated_birth_date_has_0000_for_day_and_month():
    assert build_uic("Maria", "Joana", date(1992, 8, 15), True, "female") == "MAJO000092F"


def test_missing_letters_are_padded_with_9():
    assert name_letters("9") == "99"
    assert name_letters("") == "99"
    assert name_letters("M") == "M9"
    assert build_uic("9", "J", date(1992, 8, 15), False, "female") == "99J9150892F"


def test_uic_is_four_letters_six_digits_and_a_sex_code_only():
    uic = build_uic("Maria", "Joana", date(1992, 8, 15), False, "female")
    assert re.fullmatch(r"[A-Z9]{4}\d{6}[FMT]", uic)


@pytest.mark.parametrize("typed", ["majo150892f", " MAJO 150892 F ", "MAJO-150892-F"])
def test_typed_uic_is_normalised_to_upper_case(typed):
    assert normalise_uic(typed) == "MAJO150892F"


@pytest.mark.parametrize("typed", ["MAJO15089F", "MAJO150892X", "1234-5678-9", "Star"])
def test_text_that_cannot_be_a_uic_is_not_one(typed):
    assert normalise_uic(typed) is None


def test_alias_key_ignores_case_accents_and_punctuation():
    assert alias_key("Zé-Lú") == alias_key("ze lu") == "zelu"
    assert alias_key("") is None
    assert alias_key("--") is None
