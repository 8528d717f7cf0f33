"""DNS messages (RFC 1035) as bytes and back: just enough for a cluster DNS, with the stdlib only.

A message is a 12-byte header and four lists of records; a name is a chain of length-prefixed
labels, and a later copy of a name's tail may be a 2-byte pointer back to an earlier one::

    header   id · flags (QR opcode AA TC RD RA rcode) · counts
    question web.default.svc.cluster.local.  A  IN
    answer   web.default.svc.cluster.local.  5  IN  A  172.18.0.1
             └── 3 'web' 7 'default' 3 'svc' 7 'cluster' 5 'local' 0

Records are :class:`Record` values whose ``data`` is plain Python: an address string (A, AAAA), a
name (CNAME, PTR, NS), ``(priority, weight, port, target)`` (SRV), ``(mname, rname, serial,
refresh, retry, expire, minimum)`` (SOA), bytes for anything else. Names are kept without the
trailing dot, lower-cased when parsed.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "A", "AAAA", "ANY", "CNAME", "NS", "OPT", "PTR", "SOA", "SRV", "TXT",
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
    "TYPE_NAMES", "RCODE_NAMES",
    "DNSError", "Message", "Question", "Record", "decode", "encode",
]

A, NS, CNAME, SOA, PTR, TXT, AAAA, SRV, OPT, ANY = 1, 2, 5, 6, 12, 16, 28, 33, 41, 255
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
IN = 1

TYPE_NAMES = {A: "A", NS: "NS", CNAME: "CNAME", SOA: "SOA", PTR: "PTR", TXT: "TXT", AAAA: "AAAA",
              SRV: "SRV", OPT: "OPT", ANY: "ANY"}
RCODE_NAMES = {NOERROR: "NOERROR", FORMERR: "FORMERR", SERVFAIL: "SERVFAIL", NXDOMAIN: "NXDOMAIN",
               NOTIMP: "NOTIMP", REFUSED: "REFUSED"}

_QR, _AA, _TC, _RD, _RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080


class DNSError(ValueError):
    """The bytes are not a well-formed DNS message (the server answers FORMERR)."""


@dataclass(frozen=True)
class Question:
    name: str
    qtype: int = A
    qclass: int = IN


@dataclass(frozen=True)
class Record:
    name: str
    rtype: int
    ttl: int
    data: Any
    rclass: int = IN

    def __str__(self) -> str:  # dig's layout: name. ttl IN type data
        kind = TYPE_NAMES.get(self.rtype, str(self.rtype))
        if self.rtype in (CNAME, PTR, NS):
            shown = f"{self.data}."
        elif self.rtype == SRV:
            shown = "{} {} {} {}.".format(*self.data)
        elif self.rtype == SOA:
            shown = "{}. {}. {} {} {} {} {}".format(*self.data)
        else:
            shown = str(self.data)
        return f"{self.name}.\t{self.ttl}\tIN\t{kind}\t{shown}"


@dataclass
class Message:
    id: int = 0
    response: bool = False
    opcode: int = 0
    authoritative: bool = False
    truncated: bool = False
    recursion_desired: bool = True
    recursion_available: bool = False
    rcode: int = NOERROR
    questions: list[Question] = field(default_factory=list)
    answers: list[Record] = field(default_factory=list)
    authority: list[Record] = field(default_factory=list)
    additional: list[Record] = field(default_factory=list)

    @property
    def flags(self) -> int:
        return ((_QR if self.response else 0) | (self.opcode & 0xF) << 11 | (_AA if self.authoritative else 0)
                | (_TC if self.truncated else 0) | (_RD if self.recursion_desired else 0)
                | (_RA if self.recursion_available else 0) | (self.rcode & 0xF))


# -- encoding ---------------------------------------------------------------------------------
class _Writer:
    def __init__(self) -> None:
        self.buf = bytearray()
        self.names: dict[str, int] = {}  # a name already written → its offset (for pointers)

    def name(self, name: str) -> None:
        labels = [x for x in name.rstrip(".").split(".") if x]
        for i in range(len(labels)):
            tail = ".".join(labels[i:]).lower()
            if tail in self.names:
                self.buf += struct.pack("!H", 0xC000 | self.names[tail])
                return
            if len(self.buf) < 0x4000:
                self.names[tail] = len(self.buf)
            raw = labels[i].encode("idna" if not labels[i].isascii() else "ascii")
            if not 0 < len(raw) < 64:
                raise DNSError(f"label {labels[i]!r} is empty or longer than 63 bytes")
            self.buf += bytes([len(raw)]) + raw
        self.buf += b"\0"

    def record(self, r: Record) -> None:
        self.name(r.name)
        self.buf += struct.pack("!HHI", r.rtype, r.rclass, r.ttl)
        at = len(self.buf)
        self.buf += b"\0\0"
        if r.rtype == A:
            self.buf += ipaddress.IPv4Address(r.data).packed
        elif r.rtype == AAAA:
            self.buf += ipaddress.IPv6Address(r.data).packed
        elif r.rtype in (CNAME, PTR, NS):
            self.name(r.data)
        elif r.rtype == SRV:
            priority, weight, port, target = r.data
            self.buf += struct.pack("!HHH", priority, weight, port)
            self.name(target)
        elif r.rtype == SOA:
            mname, rname, *numbers = r.data
            self.name(mname)
            self.name(rname)
            self.buf += struct.pack("!IIIII", *numbers)
        elif r.rtype == TXT:
            for s in [r.data] if isinstance(r.data, str) else r.data:
                raw = s.encode() if isinstance(s, str) else bytes(s)
                self.buf += bytes([len(raw)]) + raw
        else:
            self.buf += bytes(r.data)
        struct.pack_into("!H", self.buf, at, len(self.buf) - at - 2)


def encode(msg: Message, limit: int | None = None) -> bytes:
    """The wire form of *msg*. With *limit* (512 for plain UDP), records that do not fit are left
    out from the end and the TC bit is set, so the client asks again over TCP."""
    sections = [list(msg.answers), list(msg.authority), list(msg.additional)]
    truncated = msg.truncated
    while True:
        w = _Writer()
        w.buf += struct.pack("!HHHHHH", msg.id, 0, len(msg.questions), *map(len, sections))
        for q in msg.questions:
            w.name(q.name)
            w.buf += struct.pack("!HH", q.qtype, q.qclass)
        for section in sections:
            for r in section:
                w.record(r)
        flags = msg.flags | (_TC if truncated else 0)
        struct.pack_into("!H", w.buf, 2, flags)
        if limit is None or len(w.buf) <= limit or not any(sections):
            return bytes(w.buf)
        for section in reversed(sections):  # drop one record from the last non-empty section
            if section:
                section.pop()
                break
        truncated = True


# -- decoding ---------------------------------------------------------------------------------
def _name(data: bytes, at: int) -> tuple[str, int]:
    labels: list[str] = []
    end = -1
    jumps = 0
    while True:
        if at >= len(data):
            raise DNSError("name runs past the end of the message")
        n = data[at]
        if n & 0xC0 == 0xC0:
            if at + 1 >= len(data):
                raise DNSError("truncated name pointer")
            if end < 0:
                end = at + 2
            at = ((n & 0x3F) << 8) | data[at + 1]
            jumps += 1
            if jumps > 64:
                raise DNSError("name pointer loop")
            continue
        if n & 0xC0:
            raise DNSError("unknown label type")
        at += 1
        if n == 0:
            break
        if at + n > len(data):
            raise DNSError("label runs past the end of the message")
        labels.append(data[at:at + n].decode("ascii", "replace").lower())
        at += n
    return ".".join(labels), (end if end >= 0 else at)


def _rdata(data: bytes, rtype: int, at: int, length: int) -> Any:
    raw = data[at:at + length]
    if rtype == A and length == 4:
        return str(ipaddress.IPv4Address(raw))
    if rtype == AAAA and length == 16:
        return str(ipaddress.IPv6Address(raw))
    if rtype in (CNAME, PTR, NS):
        return _name(data, at)[0]
    if rtype == SRV and length >= 7:
        priority, weight, port = struct.unpack_from("!HHH", data, at)
        return (priority, weight, port, _name(data, at + 6)[0])
    if rtype == SOA:
        mname, p = _name(data, at)
        rname, p = _name(data, p)
        return (mname, rname, *struct.unpack_from("!IIIII", data, p))
    return bytes(raw)


def decode(data: bytes) -> Message:
    """Parse a whole message (queries from clients, answers in tests). Raises :class:`DNSError`."""
    if len(data) < 12:
        raise DNSError("message shorter than its header")
    ident, flags, qd, an, ns, ar = struct.unpack_from("!HHHHHH", data)
    msg = Message(id=ident, response=bool(flags & _QR), opcode=(flags >> 11) & 0xF,
                  authoritative=bool(flags & _AA), truncated=bool(flags & _TC),
                  recursion_desired=bool(flags & _RD), recursion_available=bool(flags & _RA),
                  rcode=flags & 0xF)
    at = 12
    try:
        for _ in range(qd):
            name, at = _name(data, at)
            qtype, qclass = struct.unpack_from("!HH", data, at)
            at += 4
            msg.questions.append(Question(name, qtype, qclass))
        for section, count in ((msg.answers, an), (msg.authority, ns), (msg.additional, ar)):
            for _ in range(count):
                name, at = _name(data, at)
                rtype, rclass, ttl, length = struct.unpack_from("!HHIH", data, at)
                at += 10
                if at + length > len(data):
                    raise DNSError("record data runs past the end of the message")
                section.append(Record(name, rtype, ttl, _rdata(data, rtype, at, length), rclass))
                at += length
    except struct.error as e:
        raise DNSError(f"truncated message: {e}") from e
    return msg
