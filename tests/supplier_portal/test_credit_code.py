from hypothesis import given
from hypothesis import strategies as st

from services.supplier_portal.credit_code import CHARSET, check_character, credit_code_problem

bodies = st.builds(lambda head, division, tail: head + division + tail,
                   st.text(CHARSET, min_size=2, max_size=2), st.text("0123456789", min_size=6, max_size=6),
                   st.text(CHARSET, min_size=9, max_size=9))


def test_published_codes_are_accepted():
    assert credit_code_problem("91350100M000100Y43") is None
    assert credit_code_problem("91110000802100433B") is None


@given(bodies)
def test_a_body_with_its_check_character_is_always_valid(body):
    assert credit_code_problem(body + check_character(body)) is None


@given(bodies, st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET))
def test_any_single_changed_character_is_caught(body, position, replacement):
    code = body + check_character(body)
    changed = code[:position] + replacement + code[position + 1:]
    if changed != code:
        assert credit_code_problem(changed) is not None


def test_wrong_length_letters_outside_the_standard_and_lower_case_are_refused():
    assert credit_code_problem("91350100M000100Y4") == "must be 18 characters"
    assert "no I, O" in credit_code_problem("91350100M0001O0Y43")
    assert credit_code_problem("91350100m000100y43") is not None
    assert "administrative division" in credit_code_problem("9135A100M000100Y43")
