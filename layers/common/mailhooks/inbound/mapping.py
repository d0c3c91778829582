"""From a received body to the values of an operation's parameters.

A body (JSON, or a form read as a flat object of its literal keys) becomes one JSON document; each
mapped parameter names a node of it with a JSON Pointer (RFC 6901).
"""

import codecs
import json
from collections.abc import Container, Mapping
from typing import Any
from urllib.parse import parse_qsl

from jsonpointer import JsonPointer, JsonPointerException, escape

from mailhooks.errors import InvalidInput, UnsupportedMediaType

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
_KINDS = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}


# Text codecs of Python that are no charset a sender could mean, and fail on every input or decode to
# something else than the bytes say.
_NOT_CHARSETS = {"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "mbcs", "oem"}


class MissingNode(InvalidInput):
    pass


def _media_type(content_type: str | None) -> tuple[str, str]:
    """The media type and charset of a Content-Type header."""
    media_type, _, parameters = (content_type or "").partition(";")
    charset = "utf-8"
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    return media_type.strip().lower(), charset


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise InvalidInput(f"the JSON body has the key {key!r} twice in one object")
        document[key] = value
    return document


def _reject_constant(name: str) -> None:
    raise InvalidInput(f"the JSON body contains {name}, which is not valid JSON")


def _decode(body: bytes, charset: str) -> str:
    try:
        # Only text encodings: Python also names codecs such as "undefined", "base64" or "zlib".
        codec = codecs.lookup(charset)
        if not codec._is_text_encoding or codec.name in _NOT_CHARSETS:
            raise LookupError(charset)
        return body.decode(charset)
    except UnicodeDecodeError as error:
        raise InvalidInput(f"the body is not valid {charset} (byte {error.start})") from None
    except UnicodeError:
        raise InvalidInput(f"the body is not valid {charset}") from None
    except (LookupError, ValueError):
        raise UnsupportedMediaType(f"the charset {charset[:40]!r} is not supported; send utf-8") from None


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"the body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise InvalidInput("the JSON body is nested too deeply") from None
    except ValueError as error:  # an integer longer than Python converts
        raise InvalidInput(f"the JSON body has a number that cannot be read: {error}") from None


def _parse_form(body: bytes, charset: str) -> dict[str, Any]:
    try:
        pairs = parse_qsl(_decode(body, charset), keep_blank_values=True, encoding=charset, errors="strict")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"the form body is not valid {charset} once percent-decoded (byte {error.start})"
        ) from None
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key not in document:
            document[key] = value
        elif isinstance(document[key], list):
            document[key].append(value)
        else:
            document[key] = [document[key], value]
    return document


def parse_body(content_type: str | None, body: bytes) -> Any:
    """The JSON document a JSON or form body stands for."""
    media_type, charset = _media_type(content_type)
    if media_type == JSON_TYPE or media_type.endswith("+json"):
        return _parse_json(_decode(body, charset))
    if media_type == FORM_TYPE:
        return _parse_form(body, charset)
    shown = f"Content-Type {media_type!r}" if media_type else "a missing Content-Type"
    raise UnsupportedMediaType(f"{shown} is not supported; send {JSON_TYPE} or {FORM_TYPE}")


def resolve(document: Any, pointer: str, payload: str = "the received payload") -> Any:
    """The node a JSON Pointer names; MissingNode says where the path stops."""
    try:
        parts = JsonPointer(pointer).parts
    except JsonPointerException as error:
        raise MissingNode(f"{pointer!r} is not a JSON Pointer ({error})") from None
    node = document
    for depth, part in enumerate(parts):
        reached = "".join("/" + escape(step) for step in parts[:depth]) or "the root"
        if isinstance(node, dict):
            if part not in node:
                raise MissingNode(f"path {pointer!r} was not found in {payload}")
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or (len(part) > 1 and part[0] == "0") or int(part) >= len(node):
                raise MissingNode(
                    f"path {pointer!r} was not found in {payload} ({reached} is an array of {len(node)})"
                )
            node = node[int(part)]
        else:
            kind = "null" if node is None else _KINDS.get(type(node), type(node).__name__)
            raise MissingNode(
                f"path {pointer!r} goes into {reached}, which is {kind}, not an object or array"
            )
    return node


def extract(mapping: Mapping[str, str], document: Any, required: Container[str]) -> dict[str, Any]:
    """The value of every mapped parameter.

    An optional parameter whose node is missing, null or empty is left out, so that its default applies:
    forms send blank inputs as empty strings. A required one must be there; every problem is named.
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, pointer in mapping.items():
        try:
            value = resolve(document, pointer)
        except MissingNode as missing:
            if name in required:
                problems.append(f"parameter {name!r}: {missing.message}")
            continue
        if name in required or value not in (None, ""):
            values[name] = value
    if problems:
        raise InvalidInput("; ".join(problems))
    return values


def selectable_nodes(document: Any) -> list[tuple[str, Any]]:
    """Every node a parameter can be mapped to, with its JSON Pointer, in document order: each value, and
    each array as a whole too (a list of ids needs no quoting trick)."""
    nodes: list[tuple[str, Any]] = []
    # A stack, not recursion: a pasted document may nest deeper than Python recurses.
    waiting: list[tuple[str, Any]] = [("", document)]
    while waiting:
        pointer, node = waiting.pop()
        if isinstance(node, dict):
            waiting.extend(reversed([(f"{pointer}/{escape(key)}", value) for key, value in node.items()]))
            continue
        nodes.append((pointer, node))
        if isinstance(node, list):
            waiting.extend(reversed([(f"{pointer}/{index}", value) for index, value in enumerate(node)]))
    return nodes
