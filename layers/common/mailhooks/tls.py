"""The authorities TLS connections are checked against: one context per CA bundle for the container's life,
the bundle loaded into it once.

Given as a file to each connection, as botocore gives its bundle and urllib3 2 takes it, a bundle is loaded
again for every new connection (urllib3 issue 3623, botocore issue 3171): some 40 ms of CPU each on this
machine as OpenSSL 3 parses certifi's, and the deliverer's batch opens up to ten at once. The deliverer's
receivers and the AWS clients (mailhooks.aws) share the context of their bundle, certifi's in Lambda."""

import ssl
import threading
from functools import cache
from pathlib import Path

from urllib3.util.ssl_ import create_urllib3_context

_loading = threading.Lock()


@cache
def _loaded(bundle: str) -> ssl.SSLContext:
    context = create_urllib3_context()
    path = Path(bundle)
    if path.is_dir():
        context.load_verify_locations(capath=bundle)
    else:
        # As text rather than as a file: OpenSSL 3's file loader took 27 ms of CPU for certifi's 117
        # authorities where reading the same certificates from text took 17 (medians of 30 loads).
        # Outside its certificates, a bundle's comments may name an authority in other letters than ASCII.
        context.load_verify_locations(cadata=path.read_bytes().decode("ascii", errors="ignore"))
    return context


def trust_store(bundle: str) -> ssl.SSLContext:
    """The context whose authorities are the bundle's: loaded at its first use, by one thread."""
    with _loading:
        return _loaded(bundle)
