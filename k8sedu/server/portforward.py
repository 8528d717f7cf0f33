"""``kubectl port-forward``: TCP connections from the student's machine to a port inside a Pod.

The real path is kubectl ─SPDY─▶ apiserver ─SPDY─▶ kubelet ─▶ the Pod's network namespace. Here
the apiserver and kubelet share the kernel, so this module plays both: it answers the SPDY
streams kubectl opens (see :mod:`k8sedu.server.spdy`) and connects, for each forwarded
connection, to the address the kubelet names for the Pod's port (the runtime's
``port_address``: the Pod IP on Docker, a 127.0.0.1 port for the simulated web server)::

    curl 127.0.0.1:8080 ─▶ kubectl ══ streams "error" + "data" (requestid n) ══▶ PortForwardSession
                                                                              └─ TCP ─▶ Pod :80

When nothing listens on the Pod's port, the error stream carries the kubelet's message and kubectl
prints ``an error occurred forwarding 8080 -> 80: …``, as against a real cluster.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .spdy import GOAWAY, PING, RST_STREAM, SYN_STREAM, Frame, Framer

__all__ = ["PortForwardSession", "PROTOCOL", "WEBSOCKET_PROTOCOL"]

#: the stream protocol kubectl asks for, and its name inside a WebSocket tunnel
PROTOCOL = "portforward.k8s.io"
WEBSOCKET_PROTOCOL = "SPDY/3.1+portforward.k8s.io"

Dial = Callable[[int], tuple[str, int]]  # Pod port -> (host, port) to connect to


@dataclass
class _Pair:
    """One forwarded connection: its two streams and the socket to the Pod."""

    port: int
    error_id: int = 0
    data_id: int = 0
    sock: socket.socket | None = None
    pending: list[bytes] = field(default_factory=list)  # data that came before the socket
    client_done: bool = False


class PortForwardSession:
    """Serve one kubectl port-forward connection until the client goes.

    *recv* returns the next bytes from the client (None at the end), *send* writes bytes to it;
    *dial* maps a Pod port to the address to connect to (it raises ``APIError`` or ``OSError``).
    """

    def __init__(self, recv: Callable[[], bytes | None], send: Callable[[bytes], None], dial: Dial,
                 pod: str, stopping: threading.Event, on_connect: Callable[[int], None] | None = None) -> None:
        self._recv, self._send_raw, self._dial = recv, send, dial
        self.pod, self.stopping, self._on_connect = pod, stopping, on_connect
        self._framer = Framer()
        self._lock = threading.Lock()  # guards the framer's compressor and the order of writes
        self._pairs: dict[str, _Pair] = {}
        self._by_stream: dict[int, _Pair] = {}
        self.connections = 0  # forwarded connections served (for tests and the flow)

    def _send(self, make: Callable[[Framer], bytes]) -> None:
        with self._lock:
            data = make(self._framer)
            try:
                self._send_raw(data)
            except OSError:
                pass

    def serve(self) -> None:
        try:
            while not self.stopping.is_set():
                chunk = self._recv()
                if chunk is None:
                    break
                for frame in self._framer.feed(chunk):
                    if not self._handle(frame):
                        return
        finally:
            for pair in list(self._pairs.values()):
                self._close_pod(pair)

    def _handle(self, frame: Frame) -> bool:
        if frame.type == SYN_STREAM:
            self._open(frame)
        elif frame.type == 0:
            pair = self._by_stream.get(frame.stream_id)
            if pair is not None and frame.stream_id == pair.data_id:
                self._to_pod(pair, frame.data, frame.fin)
        elif frame.type == PING:
            self._send(lambda f: f.ping(frame.value))
        elif frame.type == RST_STREAM:
            pair = self._by_stream.get(frame.stream_id)
            if pair is not None:
                self._close_pod(pair)
        elif frame.type == GOAWAY:
            return False
        return True  # SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do

    def _open(self, frame: Frame) -> None:
        sid, headers = frame.stream_id, frame.headers
        self._send(lambda f: f.syn_reply(sid))
        try:
            port = int(headers.get("port", ""))
        except ValueError:
            self._send(lambda f: f.data(sid, b'invalid port header: "' + headers.get("port", "").encode() + b'"'))
            self._send(lambda f: f.data(sid, b"", fin=True))
            return
        key = headers.get("requestid") or headers.get("port", "")
        pair = self._pairs.setdefault(key, _Pair(port))
        self._by_stream[sid] = pair
        if headers.get("streamtype") == "error":
            pair.error_id = sid
        else:
            pair.data_id = sid
            if frame.fin:
                pair.client_done = True
        if pair.error_id and pair.data_id and pair.sock is None:
            self._connect(pair, key)

    def _connect(self, pair: _Pair, key: str) -> None:
        try:
            host, port = self._dial(pair.port)
            sock = socket.create_connection((host, port), timeout=5)
            sock.settimeout(None)
        except Exception as err:  # the kubelet's words, on the error stream
            reason = getattr(err, "message", None) or _dial_error(pair.port, err)
            message = f"error forwarding port {pair.port} to pod {self.pod}, uid : {reason}"
            self._send(lambda f: f.data(pair.error_id, message.encode()))
            self._finish(pair, key)
            return
        pair.sock = sock
        self.connections += 1
        if self._on_connect is not None:
            self._on_connect(pair.port)
        for data in pair.pending:
            sock.sendall(data)
        pair.pending.clear()
        if pair.client_done:
            _shutdown(sock, socket.SHUT_WR)
        threading.Thread(target=self._from_pod, args=(pair, key), name=f"port-forward-{pair.port}",
                         daemon=True).start()

    def _to_pod(self, pair: _Pair, data: bytes, fin: bool) -> None:
        if pair.sock is None:
            pair.pending.append(data)
            pair.client_done = pair.client_done or fin
            return
        try:
            if data:
                pair.sock.sendall(data)
            if fin:
                _shutdown(pair.sock, socket.SHUT_WR)
        except OSError:
            self._close_pod(pair)

    def _from_pod(self, pair: _Pair, key: str) -> None:
        sock = pair.sock
        assert sock is not None
        while True:
            try:
                data = sock.recv(32768)
            except OSError:
                break
            if not data:
                break
            self._send(lambda f, data=data: f.data(pair.data_id, data))  # type: ignore[misc]
        self._finish(pair, key)

    def _finish(self, pair: _Pair, key: str) -> None:
        """The Pod side ended: close both streams (kubectl then closes the local connection)."""
        for sid in (pair.data_id, pair.error_id):
            if sid:
                self._send(lambda f, sid=sid: f.data(sid, b"", fin=True))  # type: ignore[misc]
        self._close_pod(pair)
        self._pairs.pop(key, None)
        for sid in (pair.data_id, pair.error_id):
            self._by_stream.pop(sid, None)

    @staticmethod
    def _close_pod(pair: _Pair) -> None:
        if pair.sock is not None:
            _shutdown(pair.sock, socket.SHUT_RDWR)
            pair.sock.close()


def _shutdown(sock: socket.socket, how: int) -> None:
    try:
        sock.shutdown(how)
    except OSError:
        pass


def _dial_error(port: int, err: Exception) -> str:
    what = "connection refused" if isinstance(err, ConnectionRefusedError) else str(err) or type(err).__name__
    return f"failed to connect to localhost:{port} inside the Pod's network namespace: dial tcp4 127.0.0.1:{port}: connect: {what}"

