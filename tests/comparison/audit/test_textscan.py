"""The exposure audit's text scanning and PII matching on their own (``comparison.audit.textscan``, ``.pii``): every
bound at, just inside and just outside it, every form a value is found in, and errors that name their problem."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from pydantic import SecretStr, ValidationError

from comparison.audit.pii import PiiMatcher, PiiValue, Transform, pii_values, string_leaves
from comparison.audit.textscan import decode_base64_token, json_strings, scan_text

VALUE = "Secret-Value-42"


def matcher(*values: str) -> PiiMatcher:
    return PiiMatcher([PiiValue(label=f"case.v{index}", value=SecretStr(value)) for index, value in enumerate(values)])


def _b64(text: str, layers: int) -> str:
    data = text.encode()
    for _ in range(layers):
        data = base64.b64encode(data)
    return data.decode()


@pytest.mark.parametrize(("layers", "found"), [(1, True), (6, True), (7, True), (8, False)])
def test_nested_base64_is_unwrapped_six_times(layers: int, found: bool) -> None:
    """Six decodes (the depth bound), then the value's own base64 form: seven layers are found, eight are not."""
    assert scan_text(_b64(VALUE, layers), matcher(VALUE)) == ({0: Transform.BASE64} if found else {})


def test_base64_of_a_string_inside_json_is_found_as_base64() -> None:
    document = json.dumps({"payload": json.dumps({"data": _b64(VALUE, 2)}), "n": 1})
    assert scan_text(document, matcher(VALUE)) == {0: Transform.BASE64}
    assert scan_text(json.dumps({"plain": VALUE.upper()}), matcher(VALUE)) == {0: Transform.CASE_CHANGED}
    assert scan_text("not json {" + VALUE, matcher(VALUE)) == {0: Transform.EXACT}


@pytest.mark.parametrize(("token", "decoded"), [
    (base64.b64encode(b"twelve bytes").decode(), "twelve bytes"),  # 16 characters: the shortest token
    (base64.b64encode(b"eleven byte").decode(), None),  # 15 and one "=": too short
    (base64.b64encode(b"fourteen bytes").decode(), "fourteen bytes"),  # 19 and one "="
    (base64.b64encode(b"thirteen byte").decode(), "thirteen byte"),  # 20 with "=="
    (base64.b64encode(b"twelve byteW").decode(), "twelve byteW"),  # ends in "X": only "=" is padding
    (base64.urlsafe_b64encode(b"\xfb\xff\xfe>?~twelve").decode(), "\ufffd\ufffd\ufffd>?~twelve"),  # - and _
    ("  " + base64.b64encode(b"twelve bytes").decode() + "\n", "twelve bytes"),
    (base64.b64encode(b"twelve bytes").decode()[:15], None),  # 15 characters: too short to be a token
    (base64.b64encode(b"thirteen byte").decode() + "=", None),  # three "="
    ("A" * 17, None),  # not valid base64 (length 17 is never a whole encoding)
    ("twelve bytes and more!", None),
])
def test_a_whole_string_base64_token_of_16_characters_or_more_is_decoded(token: str, decoded: str | None) -> None:
    assert decode_base64_token(token) == decoded


def test_json_strings_are_keys_strings_and_numbers_but_not_booleans() -> None:
    document = {"k": ["s", 1, 2.5, True, None, {"inner": "v"}]}
    assert list(json_strings(document)) == ["k", "s", "1", "2.5", "inner", "v"]
    assert list(json_strings("top")) == ["top"]


def test_string_leaves_are_paths_of_mappings() -> None:
    assert list(string_leaves({"a": {"b": "x", "n": 1}, "c": "y"})) == [(("a", "b"), "x"), (("c",), "y")]


@pytest.mark.parametrize(("text", "transform"), [
    (f"..{VALUE}..", Transform.EXACT),
    (f"..{VALUE.lower()}..", Transform.CASE_CHANGED),
    (f"..{quote(VALUE + ' x', safe='')}..", Transform.URL_ENCODED),
    (f"..{base64.b64encode(VALUE.encode()).decode()[:20]}..", Transform.BASE64),
    (f"..{base64.urlsafe_b64encode(VALUE.encode()).decode()[:20]}..", Transform.BASE64),
])
def test_each_form_of_a_value_is_found(text: str, transform: Transform) -> None:
    spaced = VALUE + " x"
    found = matcher(VALUE, spaced).find(text)
    assert found[0 if transform is not Transform.URL_ENCODED else 1] == transform


@pytest.mark.parametrize(("text", "found"), [
    ("id 123456789 ok", {0: Transform.DIGITS_ONLY}),
    ("account 1234567890", {}),  # inside a longer number: not this value
    ("x9123456789", {}),
    ("123-45-6789", {0: Transform.EXACT}),
])
def test_a_digits_only_form_must_stand_alone(text: str, found: dict[int, Transform]) -> None:
    assert matcher("123-45-6789").find(text) == found


def test_digit_and_base64_forms_have_minimum_lengths() -> None:
    """9 digits make a digits-only form, 8 do not; a base64 form needs at least 8 characters."""
    assert matcher("12-34-5678x").find("12345678") == {}  # 8 digits
    assert matcher("12-34-56789").find("123456789") == {0: Transform.DIGITS_ONLY}  # 9 digits
    assert matcher("abcdefgh").find(base64.b64encode(b"abcdef").decode()) == {0: Transform.BASE64}  # "YWJjZGVm"
    assert matcher("abcdefgh").find("YWJjZGVmZ2g"[:8]) == {0: Transform.BASE64}


@pytest.mark.parametrize(("label", "value", "message"), [
    ("case.short", "seven77", "value of case.short: shorter than 8 characters"),
    ("case.secret-value", "secret-value", "label: must not contain the value it labels"),
    ("CASE.SECRET-VALUE", "secret-value", "label: must not contain the value it labels"),
])
def test_a_value_error_names_its_problem_without_the_value(label: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        PiiValue(label=label, value=SecretStr(value))
    assert raised.value.errors()[0]["msg"] == f"Value error, {message}"
    assert "seven77" not in str(raised.value)


@pytest.mark.parametrize(("label", "valid"), [("a" * 200, True), ("a" * 201, False), ("", False),
                                             ("case.x[0]-y_z", True), ("case x", False)])
def test_labels_are_1_to_200_safe_characters(label: str, valid: bool) -> None:
    if valid:
        assert PiiValue(label=label, value=SecretStr("eight888")).label == label
    else:
        with pytest.raises(ValidationError):
            PiiValue(label=label, value=SecretStr("eight888"))
    assert PiiValue(label="l", value=SecretStr("eight888")).value.get_secret_value() == "eight888"


def test_each_value_once_under_its_first_label() -> None:
    values = pii_values([("a.first", "same-value"), ("a.second", "same-value"), ("a.third", "other-value")])
    assert [(v.label, v.value.get_secret_value()) for v in values] == [
        ("a.first", "same-value"), ("a.third", "other-value")]
    assert [transform.label for transform in Transform] == [
        "exact", "case_changed", "digits_only", "url_encoded", "base64"]


def test_a_value_next_to_digits_or_in_every_form_at_once_is_still_found() -> None:
    """The prefilters only rule text out: a value followed by a digit is still found exactly, and a text holding
    every form of a value (each prefilter matching) reports the most direct one."""
    assert matcher(VALUE).find(VALUE + "9") == {0: Transform.EXACT}
    assert matcher(VALUE).find("7" + VALUE.lower() + "7") == {0: Transform.CASE_CHANGED}
    every_form = "123-45-6789 and 123456789 and " + base64.b64encode(b"123-45-6789").decode()
    assert matcher("123-45-6789").find(every_form) == {0: Transform.EXACT}
    assert matcher("123-45-6789").find("nothing here") == {}


def test_a_value_that_starts_another_is_found_alone_and_slashes_are_url_encoded() -> None:
    both = matcher(VALUE, VALUE + "-and-more")
    assert both.find(f"..{VALUE}..") == {0: Transform.EXACT}
    assert matcher("path/to secret").find("q=path%2Fto%20secret") == {0: Transform.URL_ENCODED}
    assert matcher(VALUE).find(base64.b64encode(VALUE.encode()).decode()[:12]) == {}  # 9 of 15 bytes: not the value


@pytest.mark.parametrize(("layers", "found"), [(1, True), (5, True), (6, True), (7, False)])
def test_json_inside_json_is_unwrapped_six_times(layers: int, found: bool) -> None:
    """A value with quotes is escaped in each layer, so it shows only once the layers are parsed: six, the bound."""
    value, text = 'Say "hi" to 1234', 'Say "hi" to 1234'
    for _ in range(layers):
        text = json.dumps([text])
    assert scan_text(text, matcher(value)) == ({0: Transform.EXACT} if found else {})
