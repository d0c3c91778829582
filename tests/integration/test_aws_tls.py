"""The functions' AWS clients over TLS (mailhooks.aws, mailhooks.tls): the CA bundle is loaded into a TLS
context once for all the clients, not again for each new connection as botocore and urllib3 would, and a
server the bundle does not vouch for is refused all the same. Against HTTPS servers on loopback that close
every connection after answering, so that each call opens one."""

import http.server
import ssl
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import SSLError

from mailhooks.aws import Aws
from tests.support.receivers import indexed, self_signed

CALLS = 8


class _DynamoDb(http.server.BaseHTTPRequestHandler):
    """Answers every request as DynamoDB answers a GetItem that finds nothing, and closes the connection."""

    protocol_version = "HTTP/1.1"
    connections = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).connections += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", "2")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path, type[_DynamoDb]]]:
    """A DynamoDB stand-in at https://localhost, its certificate, and its handler (which counts)."""
    certificate, context = self_signed(tmp_path, "localhost")
    handler = type("Answering", (_DynamoDb,), {"connections": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://localhost:{server.server_address[1]}", certificate, handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each load of authorities into a TLS context, as it happens."""
    made: list[object] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(context: ssl.SSLContext, *arguments: Any, **named: Any) -> None:
        made.append(arguments[0] if arguments else named.get("cafile") or named.get("capath"))
        load(context, *arguments, **named)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    return made


def test_the_ca_bundle_is_loaded_once_for_many_new_connections_of_several_clients(
    https_server: tuple[str, Path, type[_DynamoDb]], loads: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, certificate, handler = https_server
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(certificate))
    table, another_clients_table = Aws().dynamodb.Table("t"), Aws().dynamodb.Table("t")

    # At once, as the deliverer's threads write: every connection of the pool opened alongside the others.
    with ThreadPoolExecutor(max_workers=CALLS) as threads:
        answers = list(threads.map(lambda _: table.get_item(Key={"pk": "a"}), range(CALLS)))
    for _ in range(CALLS):
        answers.append(another_clients_table.get_item(Key={"pk": "a"}))

    assert [answer.get("Item") for answer in answers] == [None] * CALLS * 2
    assert handler.connections == CALLS * 2
    assert loads == [str(certificate)]


def test_a_server_the_bundle_does_not_vouch_for_is_refused(
    https_server: tuple[str, Path, type[_DynamoDb]],
    loads: list[object],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url, _, handler = https_server
    (tmp_path / "other").mkdir()
    stranger, _ = self_signed(tmp_path / "other", "localhost")
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(stranger))
    table = Aws().dynamodb.Table("t")

    for _ in range(2):  # the first connection loads the bundle, the second finds it loaded
        with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            table.get_item(Key={"pk": "a"})

    assert loads == [str(stranger)]
    assert handler.connections == 0


def test_a_bundle_indexed_as_the_layer_indexes_certifis_is_trusted_by_its_folder(
    https_server: tuple[str, Path, type[_DynamoDb]], loads: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, certificate, handler = https_server
    folder = indexed(certificate)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(certificate))
    table = Aws().dynamodb.Table("t")

    answers = [table.get_item(Key={"pk": "a"}) for _ in range(2)]

    assert [answer.get("Item") for answer in answers] == [None, None]
    assert handler.connections == 2
    assert loads == [folder]
