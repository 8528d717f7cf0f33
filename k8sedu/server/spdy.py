"""SPDY/3.1 framing, server side: what ``kubectl port-forward`` multiplexes its connections with.

kubectl 1.32 still speaks SPDY for port-forward, carried inside a WebSocket (subprotocol
``SPDY/3.1+portforward.k8s.io``: the bytes of SPDY frames travel in binary messages, with no
channel byte), or over a plain ``Upgrade: SPDY/3.1`` connection when the WebSocket fails. Each
forwarded TCP connection is a pair of streams the client opens::

    SYN_STREAM id=1 {streamtype: error, port: 80, requestid: 0}   ─▶  SYN_REPLY id=1
    SYN_STREAM id=3 {streamtype: data,  port: 80, requestid: 0}   ─▶  SYN_REPLY id=3
    DATA id=3 "GET / HTTP/1.1…"                                   ─▶  (to the Pod's port 80)
    DATA id=3 "HTTP/1.0 200 OK…"                                  ◀─  (from the Pod)
    DATA id=3 FIN, DATA id=1 FIN                                  ◀─  the Pod closed

A frame is an 8-byte header and a payload. Control frames (high bit set) carry a version (3) and
a type; data frames carry a stream id. Header blocks are zlib-compressed with one stream per
direction for the whole connection, primed with the dictionary of the SPDY/3 draft.

Only what port-forward needs is here: no flow control (spdystream sends no WINDOW_UPDATE either),
no server push, no priorities.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

__all__ = [
    "DICTIONARY", "Frame", "Framer", "SYN_STREAM", "SYN_REPLY", "RST_STREAM", "SETTINGS", "PING", "GOAWAY",
    "HEADERS", "WINDOW_UPDATE", "FLAG_FIN", "RST_PROTOCOL_ERROR", "RST_CANCEL",
]

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
RST_PROTOCOL_ERROR, RST_CANCEL = 1, 5

_WORDS = (
    "options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges age "
    "allow authorization cache-control connection content-base content-encoding content-language content-length "
    "content-location content-md5 content-range content-type date etag expect expires from host if-match "
    "if-modified-since if-none-match if-range if-unmodified-since last-modified location max-forwards pragma "
    "proxy-authenticate proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade "
    "user-agent vary via warning www-authenticate method get status 200_OK version HTTP/1.1 url public set-cookie "
    "keep-alive origin"
).split()
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
#: the SPDY/3 header-compression dictionary: length-prefixed common header words, then a raw tail
#: (1423 bytes, Adler-32 0xe3c6a7c2, as the draft and spdystream have it)
DICTIONARY = b"".join(
    len(w).to_bytes(4, "big") + w.replace("_", " ").encode() for w in _WORDS
) + _TAIL.encode()


@dataclass
class Frame:
    """One frame. ``type`` 0 is a data frame; control frames fill the fields their type has."""

    type: int
    stream_id: int = 0
    flags: int = 0
    data: bytes = b""  # a data frame's payload
    headers: dict[str, str] = field(default_factory=dict)  # SYN_STREAM / SYN_REPLY / HEADERS
    value: int = 0  # PING id, RST_STREAM / GOAWAY status

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


class Framer:
    """Turns the bytes of one connection into frames, and frames into bytes.

    Feed received bytes with :meth:`feed`; complete frames come out of :meth:`frames`. Not
    thread-safe: the caller serializes :meth:`encode` calls (the compressor is shared state).
    """

    def __init__(self) -> None:
        self._buf = b""
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zdict=DICTIONARY)

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        out = []
        while len(self._buf) >= 8:
            length = int.from_bytes(self._buf[5:8], "big")
            if len(self._buf) < 8 + length:
                break
            head, payload = self._buf[:8], self._buf[8 : 8 + length]
            self._buf = self._buf[8 + length :]
            out.append(self._parse(head, payload))
        return out

    def _parse(self, head: bytes, payload: bytes) -> Frame:
        first, flags = struct.unpack("!I", head[:4])[0], head[4]
        if not first & 0x80000000:
            return Frame(0, stream_id=first & 0x7FFFFFFF, flags=flags, data=payload)
        ftype = first & 0xFFFF
        frame = Frame(ftype, flags=flags)
        if ftype in (SYN_STREAM, SYN_REPLY, HEADERS, RST_STREAM, WINDOW_UPDATE):
            frame.stream_id = struct.unpack("!I", payload[:4])[0] & 0x7FFFFFFF
        if ftype == SYN_STREAM:
            frame.headers = self._headers(payload[10:])
        elif ftype in (SYN_REPLY, HEADERS):
            frame.headers = self._headers(payload[4:])
        elif ftype == RST_STREAM:
            frame.value = struct.unpack("!I", payload[4:8])[0]
        elif ftype == PING:
            frame.value = struct.unpack("!I", payload[:4])[0]
        elif ftype == GOAWAY:
            frame.stream_id = struct.unpack("!I", payload[:4])[0] & 0x7FFFFFFF
            frame.value = struct.unpack("!I", payload[4:8])[0] if len(payload) >= 8 else 0
        return frame

    def _headers(self, block: bytes) -> dict[str, str]:
        raw = self._inflate.decompress(block)
        (count,), pos, headers = struct.unpack("!I", raw[:4]), 4, {}
        for _ in range(count):
            n = struct.unpack("!I", raw[pos : pos + 4])[0]
            name = raw[pos + 4 : pos + 4 + n].decode("latin-1")
            pos += 4 + n
            n = struct.unpack("!I", raw[pos : pos + 4])[0]
            headers[name.lower()] = raw[pos + 4 : pos + 4 + n].decode("latin-1").split("\0")[0]
            pos += 4 + n
        return headers

    # -- encoding ---------------------------------------------------------------------------------------
    def _block(self, headers: dict[str, str]) -> bytes:
        raw = struct.pack("!I", len(headers))
        for name, value in headers.items():
            n, v = name.lower().encode("latin-1"), value.encode("latin-1")
            raw += struct.pack("!I", len(n)) + n + struct.pack("!I", len(v)) + v
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    @staticmethod
    def _control(ftype: int, flags: int, payload: bytes) -> bytes:
        return struct.pack("!HHI", 0x8000 | VERSION, ftype, (flags << 24) | len(payload)) + payload

    def syn_reply(self, stream_id: int, headers: dict[str, str] | None = None, fin: bool = False) -> bytes:
        return self._control(SYN_REPLY, FLAG_FIN if fin else 0,
                             struct.pack("!I", stream_id) + self._block(headers or {}))

    def syn_stream(self, stream_id: int, headers: dict[str, str], fin: bool = False) -> bytes:
        """A client's stream opening (used by tests that play kubectl)."""
        return self._control(SYN_STREAM, FLAG_FIN if fin else 0,
                             struct.pack("!IIBB", stream_id, 0, 0, 0) + self._block(headers))

    @staticmethod
    def data(stream_id: int, data: bytes, fin: bool = False) -> bytes:
        return struct.pack("!II", stream_id & 0x7FFFFFFF, ((FLAG_FIN if fin else 0) << 24) | len(data)) + data

    def rst_stream(self, stream_id: int, status: int = RST_CANCEL) -> bytes:
        return self._control(RST_STREAM, 0, struct.pack("!II", stream_id, status))

    def ping(self, ping_id: int) -> bytes:
        return self._control(PING, 0, struct.pack("!I", ping_id))

    def goaway(self, last_stream_id: int, status: int = 0) -> bytes:
        return self._control(GOAWAY, 0, struct.pack("!II", last_stream_id, status))
