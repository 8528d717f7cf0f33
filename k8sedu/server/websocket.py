"""A minimal RFC 6455 WebSocket, server side: what ``kubectl exec`` speaks since 1.30.

kubectl opens ``.../pods/web/exec?command=hostname&stdout=true`` with ``Upgrade: websocket`` and
offers the subprotocols ``v5.channel.k8s.io`` and ``v4.channel.k8s.io``. Every binary message
starts with one byte naming its *channel*::

    0 stdin   1 stdout   2 stderr   3 error (a Status as JSON: how the command ended)
    4 resize  255 close (v5 only: "I will send no more on channel <next byte>")

Frames from the client are masked; ours are not. Only what these protocols need is here: no
extensions, no fragmentation on send.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import struct
import threading

__all__ = ["accept_key", "WebSocket", "CHANNEL_PROTOCOLS", "STDIN", "STDOUT", "STDERR", "ERROR", "RESIZE", "CLOSE"]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: the channel protocols we speak, most preferred first
CHANNEL_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255

_OP_CONT, _OP_TEXT, _OP_BINARY, _OP_CLOSE, _OP_PING, _OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` answer to the client's ``Sec-WebSocket-Key``."""
    return base64.b64encode(hashlib.sha1((key.strip() + _GUID).encode()).digest()).decode()


class WebSocket:
    """A connected WebSocket over *sock* (after the 101 response was sent)."""

    def __init__(self, sock: socket.socket, rfile: object) -> None:
        self.sock = sock
        self.rfile = rfile  # the handler's buffered reader: it may already hold frame bytes
        self.closed = False
        self._send_lock = threading.Lock()  # guards sock writes: a reader thread answers pings

    def _read(self, n: int) -> bytes:
        data = self.rfile.read(n)  # type: ignore[attr-defined]
        if data is None or len(data) < n:
            raise ConnectionError("websocket closed")
        return bytes(data)

    def receive(self) -> tuple[int, bytes] | None:
        """The next data message as (opcode, payload); None once the client closed."""
        message, opcode = b"", 0
        while True:
            try:
                b1, b2 = self._read(2)
            except (ConnectionError, OSError):
                return None
            op, fin = b1 & 0x0F, b1 & 0x80
            length = b2 & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b2 & 0x80 else b""
            payload = self._read(length) if length else b""
            if mask:
                payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
            if op == _OP_CLOSE:
                self.close()
                return None
            if op == _OP_PING:
                self._send(_OP_PONG, payload)
                continue
            if op == _OP_PONG:
                continue
            if op != _OP_CONT:
                opcode = op
            message += payload
            if fin:
                return opcode, message

    def _send(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        with self._send_lock:
            self.sock.sendall(head + payload)

    def send_channel(self, channel: int, data: bytes) -> None:
        """One binary message on *channel* (empty data is not sent)."""
        if data:
            self._send(_OP_BINARY, bytes([channel]) + data)

    def send_binary(self, data: bytes) -> None:
        """One binary message with *data* as it is (the SPDY tunnel: no channel byte)."""
        self._send(_OP_BINARY, data)

    def close(self, code: int = 1000) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._send(_OP_CLOSE, struct.pack("!H", code))
        except OSError:
            pass
