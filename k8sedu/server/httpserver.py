"""The HTTP listener: a threaded server on 127.0.0.1 in front of the in-process apiserver.

One thread per connection (watches and ``logs -f`` hold theirs open). ``stop()`` ends the
streams, closes the socket and joins the serving thread, so a notebook's ``c.stop()`` leaves no
port open.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

from ..apiserver import APIServer, UserInfo
from .handler import APIRequestHandler
from .kubeconfig import TokenAuthenticator, TokenUser, write_kubeconfig
from .tls import make_self_signed, server_context

__all__ = ["KubeAPIServer", "TableBuilder"]


class TableBuilder(Protocol):
    """Builds the ``meta.k8s.io/v1`` Table for ``Accept: ...;as=Table`` (kubectl's printers: they
    live in a higher layer, so the facade hands them in)."""

    def __call__(self, resource_plural: str, objs: list[dict[str, Any]], *, now: float,
                 include_object: str = "Metadata", resource_version: str = "") -> dict[str, Any]: ...


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    k8s: KubeAPIServer
    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        # the TLS handshake runs here, in the connection's own thread, not in the accept loop
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        tls_sock: ssl.SSLSocket | None = None
        try:
            tls_sock = self.tls.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
            tls_sock.settimeout(10)
            tls_sock.do_handshake()
            tls_sock.settimeout(None)
            super().finish_request(tls_sock, client_address)
        except (ssl.SSLError, OSError):
            pass
        finally:
            if tls_sock is not None:
                self.shutdown_request(tls_sock)

    def shutdown_request(self, request: Any) -> None:
        try:
            request.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        request.close()


class KubeAPIServer:
    """``KubeAPIServer(apiserver).start()`` serves the Kubernetes API at :attr:`url`."""

    def __init__(self, apiserver: APIServer, host: str = "127.0.0.1", port: int = 0,
                 tls: bool = True, cert_dir: str | Path | None = None,
                 table: TableBuilder | None = None) -> None:
        self.api = apiserver
        self.table = table
        self.tls = tls
        self._own_cert_dir = cert_dir is None  # made here, so removed by stop()
        self.cert_dir = Path(cert_dir) if cert_dir else Path(tempfile.mkdtemp(prefix="k8sedu-pki-"))
        self.ca_cert: Path | None = None
        self.auth = TokenAuthenticator(verify=apiserver.tokens.authenticate)
        self.host, self.port = host, port
        self.stopping = threading.Event()  # set by stop(): open watches and log streams end
        self._listener: _Listener | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> KubeAPIServer:
        if self._listener is not None:
            return self
        listener = _Listener((self.host, self.port), APIRequestHandler)
        listener.k8s = self
        if self.tls:
            cert, key = self.cert_dir / "apiserver.crt", self.cert_dir / "apiserver.key"
            if not (cert.exists() and key.exists()):  # the Cluster made one at start (kube-root-ca.crt)
                cert, key = make_self_signed(self.cert_dir)
            listener.tls = server_context(cert, key)
            self.ca_cert = cert
        self.port = listener.server_address[1]
        self._listener = listener
        self._thread = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"k8sedu-api:{self.port}", daemon=True)
        self._thread.start()
        return self

    def add_user(self, user: UserInfo, namespace: str = "default") -> TokenUser:
        """A bearer token for *user* (its kubeconfig context defaults to *namespace*)."""
        return self.auth.add(user, namespace)

    def write_kubeconfig(self, path: str | Path, current: TokenUser | None = None) -> Path:
        """A kubeconfig with every user of this server; *current* (default: the admin) is selected."""
        users = list(self.auth.users.values())
        return write_kubeconfig(Path(path), self.url, users, current or self.auth.admin, ca_cert=self.ca_cert)

    def stop(self) -> None:
        self.stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.shutdown()
            listener.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._own_cert_dir:
            shutil.rmtree(self.cert_dir, ignore_errors=True)
