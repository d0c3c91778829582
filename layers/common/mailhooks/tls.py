"""The authorities TLS connections are checked against: one context per CA bundle for the container's life,
the bundle loaded into it once.

Given as a file to each connection, as botocore gives its bundle and urllib3 2 takes it, a bundle is loaded
again for every new connection (urllib3 issue 3623, botocore issue 3171): some 40 ms of CPU each on this
machine as OpenSSL 3 parses certifi's, and the deliverer's batch opens up to ten at once. The deliverer's
receivers and the AWS clients (mailhooks.aws) share the context of their bundle, certifi's in Lambda.

In the layer, a bundle comes with its authorities one to a file, in the folder beside it that the layer's
build writes (layers/common/index_authorities.py): the context trusts that folder, from which OpenSSL reads
at a handshake the authority the chain names, where the bundle's 117 would all be parsed first, 14 to 17 ms of
CPU on this machine, in the deliverer's init and in every other function's first AWS call."""

import ssl
import threading
from functools import cache
from pathlib import Path

from urllib3.util.ssl_ import create_urllib3_context

# The folder of a bundle's authorities one to a file: its name, the bundle's and this (index_authorities.py).
INDEXED = ".hashed"
_loading = threading.Lock()


@cache
def _loaded(bundle: str) -> ssl.SSLContext:
    context = create_urllib3_context()
    path = Path(bundle)
    indexed = path.with_name(path.name + INDEXED)
    if path.is_dir():
        context.load_verify_locations(capath=bundle)
    elif indexed.is_dir():
        context.load_verify_locations(capath=indexed)
    else:
        context.load_verify_locations(cafile=bundle)
    return context


def trust_store(bundle: str) -> ssl.SSLContext:
    """The context whose authorities are the bundle's: loaded at its first use, by one thread."""
    with _loading:
        return _loaded(bundle)
