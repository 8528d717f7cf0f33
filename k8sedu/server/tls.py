"""The serving certificate: kubectl sends a bearer token only over TLS.

client-go's kubeconfig loader drops every credential (token, client certificate, exec plugin) when
the server URL is plain ``http://``, so the API is served over HTTPS with a self-signed
certificate for ``127.0.0.1`` and ``localhost``, made once per server with the ``openssl``
command; the kubeconfig carries it as ``certificate-authority-data``, as kubeadm's does.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

__all__ = ["TLSUnavailable", "make_self_signed", "server_context"]


class TLSUnavailable(RuntimeError):
    """No ``openssl`` command to make a certificate with."""


def make_self_signed(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files in *folder*, valid for 127.0.0.1 and localhost for ten years."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TLSUnavailable("the openssl command is needed to make the API server's certificate")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "apiserver.crt", folder / "apiserver.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "3650", "-subj", "/CN=kube-apiserver", "-keyout", str(key), "-out", str(cert),
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True, timeout=60,
    )
    key.chmod(0o600)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx
