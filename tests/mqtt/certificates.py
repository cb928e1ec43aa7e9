"""Throwaway certificates for TLS tests, made with the `openssl` command at run time.

They are valid from the real now for a day. Both `openssl` and every check of them
(Mosquitto, and OpenSSL inside Python's ssl module) read the real clock, which
WALLBOARD_TEST_NOW does not move, so they hold at any moved date; nothing in
Python compares them with its own, possibly moved, clock.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]  # fast to make, unlike RSA


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path  # a CA that signed neither: trusting it must fail


def _openssl(directory: Path, *args: str) -> None:
    result = subprocess.run(["openssl", *args], cwd=directory, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"openssl {args[0]} failed:\n{result.stderr}")


def _authority(directory: Path, name: str) -> Path:
    _openssl(
        directory,
        "req",
        "-x509",
        *NEW_KEY,
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.crt",
        "-days",
        "1",
        "-subj",
        f"/CN={name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    )
    return directory / f"{name}.crt"


def _issue(directory: Path, name: str, authority: str, extensions: str) -> tuple[Path, Path]:
    (directory / f"{name}.ext").write_text(extensions)
    _openssl(directory, "req", *NEW_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
    _openssl(
        directory,
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        f"{authority}.crt",
        "-CAkey",
        f"{authority}.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        f"{name}.crt",
        "-extfile",
        f"{name}.ext",
    )
    return directory / f"{name}.crt", directory / f"{name}.key"


def make_certificates(directory: Path) -> Certificates:
    """A CA, a server certificate for 127.0.0.1 and localhost, a client certificate, and an unrelated CA."""
    ca = _authority(directory, "test-ca")
    server_cert, server_key = _issue(
        directory, "server", "test-ca", "subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n"
    )
    client_cert, client_key = _issue(directory, "wall", "test-ca", "extendedKeyUsage = clientAuth\n")
    return Certificates(ca, server_cert, server_key, client_cert, client_key, _authority(directory, "other-ca"))
