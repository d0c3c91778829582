"""The console's function: what it serves, with which headers, and that its pages hold nothing inline and
every module they import is served; its two catalogues hold the same strings."""

import re
from typing import Any

import pytest

from devstack.functions import LambdaContext
from functions.console import app

CONTEXT = LambdaContext("console", 128, "arn:aws:lambda:us-east-1:123456789012:function:console", "id", 5)


def _get(path: str | None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = {
        "resource": "/console" if path is None else "/console/{proxy+}",
        "path": "/console" if path is None else f"/console/{path}",
        "httpMethod": "GET",
        "headers": headers,
        "pathParameters": None if path is None else {"proxy": path},
    }
    answer: dict[str, Any] = app.handler(event, CONTEXT)
    return answer


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def test_the_page_is_html_under_a_policy_that_allows_no_inline_script_nor_framing() -> None:
    answer = _get(None)
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "text/html; charset=utf-8"
    policy = _directives(answer["headers"]["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert answer["headers"]["X-Content-Type-Options"] == "nosniff"
    assert "<title>" in answer["body"]


def test_every_file_the_page_and_its_modules_refer_to_is_served_with_its_type() -> None:
    page = _get(None)["body"]
    referred = re.findall(r'(?:src|href)="console/([^"]+)"', page)
    assert sorted(referred) == ["console.css", "icon.svg", "js/app.js"]
    waiting, served = list(referred), set()
    while waiting:
        path = waiting.pop()
        if path in served:
            continue
        answer = _get(path)
        assert answer["statusCode"] == 200, path
        served.add(path)
        if path.endswith(".js"):
            assert answer["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
            folder = path.rpartition("/")[0]
            for module in re.findall(r'^import .* from "\./([^"]+)";$', answer["body"], re.MULTILINE):
                waiting.append(f"{folder}/{module}")
    assert served == set(app.FILES) - {"index.html"}


@pytest.mark.parametrize("path", ["nothing.js", "../app.py", "js/../../app.py", "js", ""])
def test_anything_else_is_not_found(path: str) -> None:
    answer = _get(path) if path else _get("index.htm")
    assert answer["statusCode"] == 404
    assert answer["headers"]["Content-Type"] == "application/json"


def test_a_file_the_browser_holds_is_not_sent_again() -> None:
    first = _get("js/app.js")
    again = _get("js/app.js", {"If-None-Match": first["headers"]["ETag"]})
    assert (again["statusCode"], again["body"]) == (304, "")
    assert again["headers"]["Content-Security-Policy"] == first["headers"]["Content-Security-Policy"]


def test_nothing_inline_that_the_policy_would_refuse() -> None:
    for path, (content_type, text, _) in app.FILES.items():
        if content_type.startswith("text/html"):
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
            assert not re.search(r"\son\w+=|\sstyle=", text), path
        if path.endswith(".js"):
            # Markup built from strings would bypass the DOM helpers that set text as text.
            assert "innerHTML" not in text, path


def _keys(language: str) -> list[str]:
    # Each catalogue is one object literal, a key a line.
    return re.findall(r"^  (\w+): ", app.FILES[f"js/i18n/{language}.js"][1], re.MULTILINE)


def test_both_catalogues_hold_the_same_keys() -> None:
    english, spanish = _keys("en"), _keys("es")
    assert len(english) == len(set(english)) > 100
    assert english == spanish
