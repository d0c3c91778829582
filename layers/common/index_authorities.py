"""Write a CA bundle's authorities one to a file, in the folder beside it that mailhooks.tls trusts in its
place (the bundle's path and ".hashed"), each file named as OpenSSL looks an authority up in a folder: the
hash of its subject, then ".0" (".1" and on where two subjects share a hash), as `openssl rehash` names
them.

Why: given a bundle, OpenSSL parses every authority in it before the first handshake, some 14 to 17 ms of
CPU for certifi's 117 on this machine, which a function pays in its init (the deliverer's) or in its first
AWS call (every other), and in Lambda at a fraction of a vCPU. Given such a folder, it reads at a handshake
the one or two authorities the chain names, and no other. Written when the layer is built, in Python's own
library alone: the machine that runs `sam build` may have no `openssl` command.

Usage: python index_authorities.py <bundle>
"""

import hashlib
import re
import shutil
import ssl
import sys
from pathlib import Path

SUFFIX = ".hashed"
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
_SEQUENCE, _SET, _UTF8 = 0x30, 0x31, 0x0C
# The string types OpenSSL brings to one form before hashing (ASN1_MASK_CANON), by how their bytes read:
# one byte a character (PrintableString, T61String, IA5String, VisibleString), UTF-16 (BMPString), UTF-32
# (UniversalString), UTF-8.
_TEXTS = {0x13: "latin-1", 0x14: "latin-1", 0x16: "latin-1", 0x1A: "latin-1", 0x1E: "utf-16-be"}
_TEXTS |= {0x1C: "utf-32-be", _UTF8: "utf-8"}
_SPACES = re.compile(rb"[ \t\n\v\f\r]+")


def _element(der: bytes, at: int) -> tuple[int, bytes, int]:
    """The DER element at `at`: its tag, its content, and where the next element starts."""
    tag, length, at = der[at], der[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(der[at : at + count]), at + count
    return tag, der[at : at + length], at + length


def _elements(der: bytes) -> list[tuple[int, bytes]]:
    found, at = [], 0
    while at < len(der):
        tag, content, at = _element(der, at)
        found.append((tag, content))
    return found


def _encoded(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8)
    return bytes([tag, 0x80 | len(size)]) + size + content


def _canonical(tag: int, value: bytes) -> bytes:
    """An attribute's value as OpenSSL hashes it (asn1_string_canon): a string as UTF-8, without its
    leading and trailing spaces, each run of spaces within it one space, its ASCII letters lower case."""
    if tag not in _TEXTS:
        return _encoded(tag, value)
    text = value.decode(_TEXTS[tag]).encode()
    return _encoded(_UTF8, _SPACES.sub(b" ", text.strip(b" \t\n\v\f\r")).lower())


def _subject(certificate: bytes) -> bytes:
    (_, signed), *_ = _elements(_elements(certificate)[0][1])
    fields = _elements(signed)
    if fields[0][0] == 0xA0:  # the version, which a version 1 certificate leaves out
        fields = fields[1:]
    return fields[4][1]  # after the serial number, the signature's algorithm, the issuer, the validity


def subject_hash(certificate: bytes) -> str:
    """OpenSSL's X509_NAME_hash_ex of the certificate's subject, as `openssl x509 -subject_hash` prints it:
    the first four bytes of the SHA-1 of its canonical encoding (x509_name_canon), read little-endian. That
    encoding is each relative name's set of attributes in turn, with no sequence around them, each set's
    attributes in DER's order."""
    canonical = b""
    for _, names in _elements(_subject(certificate)):
        attributes = []
        for _, attribute in _elements(names):
            (_, kind), (tag, value) = _elements(attribute)
            attributes.append(_encoded(_SEQUENCE, _encoded(0x06, kind) + _canonical(tag, value)))
        canonical += _encoded(_SET, b"".join(sorted(attributes)))
    digest = hashlib.sha1(canonical, usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def index(bundle: Path) -> Path:
    folder = bundle.with_name(bundle.name + SUFFIX)
    shutil.rmtree(folder, ignore_errors=True)  # a layer built again into the same folder
    folder.mkdir()
    for block in _PEM.findall(bundle.read_bytes()):
        certificate = ssl.PEM_cert_to_DER_cert(block.decode("ascii"))
        name = subject_hash(certificate)
        taken = sum(1 for _ in folder.glob(f"{name}.*"))
        (folder / f"{name}.{taken}").write_bytes(block + b"\n")
    return folder


if __name__ == "__main__":
    index(Path(sys.argv[1]))
