"""The mapping engine: bodies to documents, JSON Pointers to nodes, coercion of parameter values."""

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonpointer import escape

from mailhooks.errors import InvalidInput
from mailhooks.inbound.mapping import extract, parse_body, resolve
from mailhooks.inbound.operations import operation_named

FORM = "application/x-www-form-urlencoded"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)


def bind(operation: str, values: dict[str, Any]) -> Any:
    """The operation's parameters, read from the values as a call reads them."""
    parameters = operation_named(operation).parameters
    return parameters.make(parameters.read(values))


@given(document=json_values, data=st.data())
def test_a_pointer_to_any_existing_node_yields_that_node(document: Any, data: st.DataObject) -> None:
    node, pointer = document, ""
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        step = data.draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        pointer += "/" + escape(str(step))
        node = node[step]
    assert resolve(json.loads(json.dumps(document)), pointer) == node


@given(pairs=st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=8))
def test_form_bodies_round_trip_with_repeated_keys_as_lists(pairs: list[tuple[str, str]]) -> None:
    expected: dict[str, Any] = {}
    for key, value in pairs:
        expected[key] = (
            [*expected[key], value]
            if isinstance(expected.get(key), list)
            else ([expected[key], value] if key in expected else value)
        )
    assert parse_body(FORM, urlencode(pairs).encode()) == expected


def test_form_keys_are_literal_so_brackets_need_no_escaping() -> None:
    document = parse_body(FORM, b"fields%5Bname%5D%5Bvalue%5D=Test&tag=a&tag=b&empty=")
    assert document == {"fields[name][value]": "Test", "tag": ["a", "b"], "empty": ""}
    assert resolve(document, "/fields[name][value]") == "Test"
    assert resolve(document, "/tag/1") == "b"


def test_pointers_escape_slashes_and_tildes_and_keep_dots() -> None:
    document = {"a/b": {"c~d": {"e.f": 1}}, "items": [{"sku": "X1"}]}
    assert resolve(document, "/a~1b/c~0d/e.f") == 1
    assert resolve(document, "/items/0/sku") == "X1"


@pytest.mark.parametrize(
    ("pointer", "error"),
    [
        ("/items/1", "path '/items/1' was not found in the received payload (/items is an array of 1)"),
        ("/items/-", "path '/items/-' was not found in the received payload (/items is an array of 1)"),
        ("/items/01", "path '/items/01' was not found in the received payload (/items is an array of 1)"),
        ("/name/first", "path '/name/first' goes into /name, which is a string, not an object or array"),
        ("/none/x", "path '/none/x' goes into /none, which is null, not an object or array"),
        ("name", "'name' is not a JSON Pointer (Location must start with /)"),
    ],
)
def test_a_pointer_that_finds_nothing_says_where_it_stops(pointer: str, error: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        resolve({"items": [{"sku": "X1"}], "name": "Ana", "none": None}, pointer)
    assert raised.value.message == error


def test_optional_parameters_that_are_missing_or_blank_take_their_default() -> None:
    values = extract(
        {"email": "/e", "bcc_email": "/bcc", "category": "/c"},
        {"e": "a@example.com", "bcc": ""},
        required={"email"},
    )
    assert values == {"email": "a@example.com"}


@pytest.mark.parametrize(
    ("lists", "expected"),
    [
        ([2222, 2223], [2222, 2223]),
        ("[2222, 2223]", [2222, 2223]),
        ("2222, 2223", [2222, 2223]),
        ("2222,2223", [2222, 2223]),
        (["2222", 2223], [2222, 2223]),
        (2222, [2222]),
        ("2222", [2222]),
    ],
)
def test_a_list_of_integers_accepts_every_written_form(lists: Any, expected: list[int]) -> None:
    campaign = {
        "name": "n",
        "from_name": "n",
        "from_email": "n@example.com",
        "subject": "s",
        "template_id": "31",
    }
    parameters = bind("send_campaign", {**campaign, "lists": lists})
    assert (parameters.lists, parameters.template_id) == (expected, 31)


@pytest.mark.parametrize(
    "phone",
    [
        "+34 600 00 00 00",
        "+34600000000",
        "+34-600-000-000",
        "0034600000000",
        "0034 600 00 00 00",
        "34600000000",
        " 34 600 000 000 ",
        34600000000,
    ],
)
def test_phone_numbers_with_their_prefix_are_normalised_to_e164(phone: Any) -> None:
    assert bind("send_sms", {"body": "b", "recipient": phone, "sender": "Shop"}).recipient == "+34600000000"


@pytest.mark.parametrize("phone", ["600000000", 600000000, "+3460000", "00600000000", "phone"])
def test_a_number_without_its_prefix_is_refused_naming_it_and_the_form_expected(phone: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        bind("send_sms", {"body": "b", "recipient": phone, "sender": "Shop"})
    assert refused.value.message == (
        "parameter 'recipient': must be a valid phone number with its international prefix, such as "
        f"+34600000000 or 0034600000000 (received {phone!r})"
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [(1, True), (0, False), ("1", True), ("0", False), ("true", True), (" FALSE ", False), (True, True)],
)
def test_a_flag_accepts_zero_one_true_and_false_as_written(written: Any, expected: bool) -> None:
    parameters = bind("add_subscriber", {"email": "ana@example.com", "double_optin": written})
    assert parameters.double_optin is expected


@pytest.mark.parametrize("written", ["yes", 2, "", None])
def test_a_flag_refuses_anything_else(written: Any) -> None:
    with pytest.raises(InvalidInput, match="parameter 'double_optin'"):
        bind("add_subscriber", {"email": "ana@example.com", "double_optin": written})


def test_an_email_parameter_must_be_an_address() -> None:
    with pytest.raises(InvalidInput, match="parameter 'email'"):
        bind("add_subscriber", {"email": "not an address"})
    assert bind("add_subscriber", {"email": "ana@example.com"}).email == "ana@example.com"
