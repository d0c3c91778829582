"""layers/common/index_authorities.py, as the layer's Makefile runs it, with OpenSSL itself as the judge:
a client trusting the folder it writes looks each chain's authority up by the file names it gave, in TLS
handshakes between two in-memory ends. An authority under the wrong name is not found, and the handshake
fails with "unable to get local issuer certificate"."""

import ssl
import warnings
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from tests.support.receivers import PrivateKey, certificate, indexed, presenting

HOST = "receiver.example.test"


def _indexed(directory: Path, authorities: list[x509.Certificate]) -> Path:
    """The folder the layer's build writes beside a bundle of these authorities."""
    bundle = directory / "cacert.pem"
    bundle.write_bytes(b"# A comment, as certifi's bundle has\n")
    with bundle.open("ab") as pem:
        for authority in authorities:
            pem.write(authority.public_bytes(serialization.Encoding.PEM))
    return indexed(bundle)


def _handshake(trusted: Path, leaf: x509.Certificate, key: PrivateKey, directory: Path) -> None:
    """A TLS handshake between a client trusting the folder and a server presenting the leaf; raises the
    client's error."""
    _, server_context = presenting(directory, "leaf", leaf, key)
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.load_verify_locations(capath=trusted)
    ends = [ssl.MemoryBIO() for _ in range(4)]
    client = client_context.wrap_bio(ends[0], ends[1], server_hostname=HOST)
    server = server_context.wrap_bio(ends[2], ends[3], server_side=True)
    done = {client: False, server: False}
    while not all(done.values()):
        for side in (client, server):
            try:
                side.do_handshake()
                done[side] = True
            except ssl.SSLWantReadError:
                pass
        ends[2].write(ends[1].read())
        ends[0].write(ends[3].read())


def _leaf(issuer: x509.Name, key: PrivateKey, signer: PrivateKey) -> x509.Certificate:
    """The receiver's certificate, in the issuer's name."""
    return certificate(
        _name(x509.NameAttribute(NameOID.COMMON_NAME, HOST)), issuer, key, signer, authority=False, host=HOST
    )


def _name(*attributes: x509.NameAttribute | list[x509.NameAttribute]) -> x509.Name:
    return x509.Name([x509.RelativeDistinguishedName(a if isinstance(a, list) else [a]) for a in attributes])


# Subjects whose canonical form differs from their bytes: letters' case, spaces at the ends and within,
# string types other than UTF-8 (OpenSSL hashes them as UTF-8), letters outside ASCII (left as they are),
# a relative name of several attributes (in DER's order, not the certificate's), a type that is no string.
SUBJECTS = {
    "case and spaces": _name(
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ES", _type=x509.name._ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "  Tienda   de\tEjemplo  S.L. "),
    ),
    "BMPString and letters outside ASCII": _name(
        x509.NameAttribute(NameOID.COMMON_NAME, "Autoridad ÑANDÚ Raíz", _type=x509.name._ASN1Type.BMPString),
    ),
    "T61String and IA5String": _name(
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example CA", _type=x509.name._ASN1Type.T61String),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "Root@Example.TEST"),
    ),
    "several attributes in one relative name": _name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Zeta Unit"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Alpha Root"),
        ],
    ),
    "a value that is no string": _name(
        x509.NameAttribute(NameOID.COMMON_NAME, "Serial Root"),
        x509.NameAttribute(
            NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\x01\x02", _type=x509.name._ASN1Type.BitString
        ),
    ),
}


@pytest.mark.parametrize("subject", SUBJECTS.values(), ids=SUBJECTS.keys())
def test_a_chain_is_verified_against_its_authority_found_in_the_folder(
    subject: x509.Name, tmp_path: Path
) -> None:
    authority_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    authority = certificate(subject, subject, authority_key, authority_key, authority=True)

    _handshake(_indexed(tmp_path, [authority]), _leaf(subject, leaf_key, authority_key), leaf_key, tmp_path)


def test_a_chain_whose_authority_is_not_in_the_folder_is_refused(tmp_path: Path) -> None:
    authority_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    trusted, other = (
        _name(x509.NameAttribute(NameOID.COMMON_NAME, cn)) for cn in ("Trusted Root", "Other Root")
    )
    authority = certificate(trusted, trusted, authority_key, authority_key, authority=True)

    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer certificate"):
        _handshake(_indexed(tmp_path, [authority]), _leaf(other, leaf_key, authority_key), leaf_key, tmp_path)


def test_every_authority_of_certifi_is_found_under_its_name(tmp_path: Path) -> None:
    """Each of certifi's authorities, as the layer's folder holds them, is the one OpenSSL finds for a chain
    that names it: the leaf, signed by a key of the authority's kind but not the authority's own, fails on
    its signature, which OpenSSL checks only once it has found the authority."""
    with warnings.catch_warnings():  # an authority of certifi's has a serial number RFC 5280 disallows
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        authorities = x509.load_pem_x509_certificates(Path(certifi.where()).read_bytes())
    trusted = _indexed(tmp_path, authorities)
    signers: dict[type, PrivateKey] = {
        rsa.RSAPublicKey: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec.EllipticCurvePublicKey: ec.generate_private_key(ec.SECP256R1()),
    }
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    failures = set()
    for authority in authorities:
        signer = next(key for kind, key in signers.items() if isinstance(authority.public_key(), kind))
        with pytest.raises(ssl.SSLCertVerificationError) as refused:
            _handshake(trusted, _leaf(authority.subject, leaf_key, signer), leaf_key, tmp_path)
        failures.add(refused.value.verify_message)

    assert len(authorities) > 100
    assert len(list(trusted.iterdir())) == len(authorities)
    assert failures == {"certificate signature failure"}
