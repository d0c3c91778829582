"""The local stack's servers keep a connection open for the client's next request (devstack.keep_alive)."""

import http.client
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pytest

from devstack.keep_alive import KeepAlive, KeepAliveServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def _echo(environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
    """Answers the body it was sent, once with its length and once without (werkzeug then chunks it)."""
    chunked = environ.get("wsgi.input_terminated", False)
    body = (
        environ["wsgi.input"].read()
        if chunked
        else environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    )
    answer = b"got " + body
    headers = [("Content-Length", str(len(answer)))] if environ["PATH_INFO"] == "/sized" else []
    start_response("200 OK", headers)
    return [answer]


@pytest.fixture
def server() -> Iterator[KeepAliveServer]:
    serving = KeepAliveServer("127.0.0.1", 0, _echo, KeepAlive)
    thread = threading.Thread(target=serving.serve_forever, daemon=True)
    thread.start()
    yield serving
    serving.shutdown()
    thread.join()
    serving.server_close()


def _connect(server: KeepAliveServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)


def test_a_connection_answers_request_after_request(server: KeepAliveServer) -> None:
    connection = _connect(server)
    answers = []
    for path, body in [("/sized", b"one"), ("/chunked", b"two"), ("/sized", b""), ("/sized", b"x" * 70_000)]:
        connection.request("POST", path, body=body)
        response = connection.getresponse()
        answers.append((response.status, response.read()[:7], response.getheader("Connection")))
    assert answers == [
        (200, b"got one", None),
        (200, b"got two", None),
        (200, b"got ", None),
        (200, b"got xxx", None),
    ]
    assert len(server._open) == 1


def test_a_chunked_request_is_answered_and_its_connection_closed(server: KeepAliveServer) -> None:
    connection = _connect(server)
    connection.request("POST", "/sized", body=iter([b"chunk"]), encode_chunked=True)
    response = connection.getresponse()
    assert (response.read(), response.getheader("Connection")) == (b"got chunk", "close")


def test_closing_the_server_closes_the_connections_it_kept(server: KeepAliveServer) -> None:
    connection = _connect(server)
    connection.request("GET", "/sized")
    connection.getresponse().read()
    server.shutdown()
    server.server_close()
    connection.request("GET", "/sized")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
