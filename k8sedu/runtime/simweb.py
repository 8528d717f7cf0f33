"""A real HTTP server for ``k8sedu/web`` containers of the simulated runtime.

The sim has no containers, but Services, Ingress, probes and ``c.url(...)`` need something to answer
HTTP. Each running ``k8sedu/web`` container gets a small server thread on 127.0.0.1 that answers as
the real image does (busybox httpd serving ``/www``): the page ``hostname=<pod> version=<v1|v2>``,
``/healthz`` -> ``ok``, 404 otherwise, and one log pair per request like ``httpd -vv``::

    [::ffff:127.0.0.1]:51234: url:/
    [::ffff:127.0.0.1]:51234: response:200

The port is the Pod's published host port, reserved when the sandbox was made (a socket bound but not
listening refuses connections, like a published port whose container does not listen yet). While the
node is paused the server holds requests, like a frozen process.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["WebServer", "bind_reserved", "NOT_FOUND_PAGE"]

NOT_FOUND_PAGE = (
    "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\n"
    "The requested URL was not found\n</BODY></HTML>\n"
)
PAUSED_HOLD_SECONDS = 30.0  # a held request gives up after this many real seconds

# respond(path) -> (status, body, content type)
Responder = Callable[[str], "tuple[int, str, str]"]


def bind_reserved(port: int = 0) -> socket.socket:
    """A TCP socket bound to 127.0.0.1:*port* (0: any free port), not listening: connections are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a probe that timed out, a closed browser tab) is ordinary for a web
        server; socketserver would print its traceback into the student's notebook."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


class WebServer:
    """Serve HTTP on an already-bound socket until :meth:`stop`."""

    def __init__(
        self, sock: socket.socket, respond: Responder, log: Callable[[str], None], running: threading.Event
    ) -> None:
        self.port = sock.getsockname()[1]
        self._running = running  # cleared while the node is paused
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, head: bool) -> None:
                outer._running.wait(PAUSED_HOLD_SECONDS)
                client = f"[::ffff:{self.client_address[0]}]:{self.client_address[1]}"
                path = self.path.split("?", 1)[0]
                log(f"{client}: url:{path}")
                status, body, ctype = respond(path)
                data = body.encode()
                # logged before the reply goes out, as busybox httpd logs it while sending headers,
                # so a client that has its answer always finds the line in the log
                log(f"{client}: response:{status}")
                self.send_response_only(status)
                self.send_header("Date", self.date_time_string())
                self.send_header("Connection", "close")
                self.send_header("Content-type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not head:
                    self.wfile.write(data)
                self.close_connection = True

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._serve(head=False)

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(head=True)

            def log_message(self, format: str, *args: object) -> None:  # the container log instead
                pass

        self._server = _Server(("127.0.0.1", self.port), Handler, bind_and_activate=False)
        self._server.socket.close()
        self._server.socket = sock
        self._server.server_activate()  # listen()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sim-web-{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket (the port is free again)."""
        self._server.shutdown()
        self._server.server_close()
