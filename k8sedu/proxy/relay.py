"""The data path: TCP listeners on 127.0.0.1 that splice each connection to an endpoint.

Real kube-proxy never touches a packet: it writes iptables or IPVS rules and the kernel rewrites
the destination of each new connection (DNAT). We cannot change the host's kernel from a notebook,
so we do the kernel's part in user space, the way kube-proxy's old ``userspace`` mode did::

    client ──▶ 127.0.0.1:<service listener> ──(choose endpoint)──▶ <Pod IP>:<port> (or a published port)
               one thread with a selectors loop, for every listener and every connection

Bytes are copied as they come, with back-pressure both ways (a side whose peer has more than
``_HIGH_WATER`` bytes waiting is not read until they drain) and half-close passed on. The loop works
on raw non-blocking sockets rather than asyncio transports: it costs about half the CPU per
connection (measured by benchmarks/proxy.py). kube-proxy runs it in its own process
(:mod:`k8sedu.proxy.relayproc`) for the Service ports, so it does not share an interpreter with the
control plane; the Pod listeners, routed by ``Host:``, use one in the kernel.

When a Service has no usable endpoint, upstream's iptables REJECTs new connections and the client
sees "connection refused". :meth:`RelayLoop.set_refusing` does the same here: the listener stops
listening (the kernel answers the SYN with a reset) while a bound, non-listening socket keeps its
port. A connection that still arrives when no endpoint can take it is reset at once. If the chosen
endpoint refuses (its container just stopped), the next usable one is tried, as the userspace
proxier did.
"""

from __future__ import annotations

import concurrent.futures
import errno
import heapq
import itertools
import logging
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["RelayLoop", "Pick", "PeekPick", "Addr"]

log = logging.getLogger(__name__)

#: an address the relay connects to: (host, port)
Addr = tuple[str, int]

#: called for each new connection with the client's (ip, port); returns the addresses to try,
#: in order, and a callback told which one answered (or None when none did); [] refuses it
Pick = Callable[[tuple[str, int]], tuple[list[Addr], Callable[[Addr | None], None]]]

#: like Pick, also given the first bytes the client sent (a shared listener routes by them)
PeekPick = Callable[[tuple[str, int], bytes], tuple[list[Addr], Callable[[Addr | None], None]]]

_CONNECT_TIMEOUT = 2.0
_PEEK_TIMEOUT = 0.2  # real seconds a shared listener waits for the request head
_PEEK_BYTES = 8192
_HIGH_WATER = 256 * 1024  # bytes waiting for a slow reader before the other side is paused
_CHUNK = 65536
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset (abort)


def _bound_socket(host: str, port: int, listening: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        if listening:
            sock.listen(512)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _abort(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    except OSError:
        pass
    sock.close()


class _Listener:
    def __init__(self, key: Any, host: str, port: int, pick: Pick | None, peek: PeekPick | None) -> None:
        self.key, self.host, self.port, self.pick, self.peek = key, host, port, pick, peek
        self.sock: socket.socket | None = None  # listening; None while refusing
        self.hold: socket.socket | None = None  # bound, not listening: keeps the port while refusing


class _Side:
    """One socket of a spliced pair, with the bytes read from its peer still to be written to it."""

    __slots__ = ("sock", "out", "eof_in", "shut_out", "peer", "reading")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.out = bytearray()  # to write to this socket
        self.eof_in = False  # this socket said EOF
        self.shut_out = False  # we shut down our writing half
        self.peer: _Side | None = None
        self.reading = True


class _Conn:
    """A client connection, from accept to close: peeking, connecting, then spliced."""

    def __init__(self, client: socket.socket, peername: tuple[str, int], listener: _Listener) -> None:
        self.client = _Side(client)
        self.backend: _Side | None = None
        self.peername = peername
        self.listener = listener
        self.ports: list[Addr] = []
        self.done: Callable[[Addr | None], None] = lambda _p: None
        self.port: Addr = ("", 0)
        self.state = "peeking" if listener.peek is not None else "new"
        self.head = bytearray()  # what the client sent before the backend was connected
        self.timer: list[Any] | None = None
        self.closed = False


class RelayLoop:
    """One thread running a selectors loop that owns every listener and connection; listeners are
    added and removed from any thread (the calls are run on the loop thread)."""

    def __init__(self, name: str = "kube-proxy") -> None:
        self._sel = selectors.DefaultSelector()
        self._thread = threading.Thread(target=self._run, name=f"{name}-relay", daemon=True)
        # touched only on the loop thread: listeners by key, connections by socket, timers
        self._listeners: dict[Any, _Listener] = {}
        self._conns: dict[socket.socket, tuple[_Conn, _Side]] = {}
        self._timers: list[list[Any]] = []  # heap of [deadline, seq, callback or None (cancelled)]
        self._seq = itertools.count()
        # guards _calls; the wake-up socket pair interrupts select() when a call is queued
        self._lock = threading.Lock()
        self._calls: list[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = []
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._stopping = False
        self._started = False
        self.known_keys: set[Any] = set()  # listener keys, readable from any thread
        # called on the loop thread after each select round (and with True when the loop stops)
        self.after_round: Callable[[bool], None] | None = None
        self.refusing_keys: set[Any] = set()

    # -- from any thread ---------------------------------------------------------------------------
    def start(self) -> None:
        if not self._started:
            self._thread.start()
            self._started = True

    def _call(self, fn: Callable[[], Any]) -> Any:
        if not self._started or self._stopping:
            raise RuntimeError("the relay loop is not running")
        if threading.current_thread() is self._thread:
            return fn()
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            self._calls.append((fn, fut))
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass
        return fut.result(timeout=5)

    def listen(self, key: Any, pick: Pick, port: int = 0, host: str = "127.0.0.1",
               peek: PeekPick | None = None) -> int:
        """Listen on *host*:*port* (0: any free one) under *key*; returns the port. With *peek*,
        each connection is routed by ``peek(client, first bytes)`` instead of *pick*.

        Raises OSError when the port is taken.
        """
        sock = _bound_socket(host, port, listening=True)
        bound = int(sock.getsockname()[1])
        listener = _Listener(key, host, bound, pick if peek is None else None, peek)

        def add() -> None:
            old = self._listeners.pop(key, None)
            if old is not None:
                self._close_listener(old)
            listener.sock = sock
            self._sel.register(sock, selectors.EVENT_READ, listener)
            self._listeners[key] = listener
            self.known_keys.add(key)

        try:
            self._call(add)
        except BaseException:
            sock.close()
            raise
        return bound

    def set_refusing(self, key: Any, refusing: bool) -> None:
        """Stop (True) or resume (False) listening under *key*, keeping its port: while refusing,
        connections get "connection refused" from the kernel, as from upstream's REJECT rule.

        Raises OSError when the port could not be bound again (another program took it).
        """

        def change() -> None:
            ln = self._listeners.get(key)
            if ln is None or (ln.hold is not None) == refusing:
                return
            if refusing:
                assert ln.sock is not None
                self._sel.unregister(ln.sock)
                ln.sock.close()
                ln.sock = None
                ln.hold = _bound_socket(ln.host, ln.port, listening=False)
                self.refusing_keys.add(key)
            else:
                assert ln.hold is not None
                ln.hold.close()
                ln.hold = None
                self.refusing_keys.discard(key)
                ln.sock = _bound_socket(ln.host, ln.port, listening=True)
                self._sel.register(ln.sock, selectors.EVENT_READ, ln)

        if self._started and not self._stopping:
            self._call(change)

    def refusing(self, key: Any) -> bool:
        return key in self.refusing_keys

    def known(self, key: Any) -> bool:
        """Whether a listener (listening or refusing) exists under *key*."""
        return key in self.known_keys

    def close(self, key: Any) -> None:
        """Stop listening under *key*; its open connections go on."""

        def remove() -> None:
            ln = self._listeners.pop(key, None)
            if ln is not None:
                self._close_listener(ln)

        if self._started and not self._stopping:
            self._call(remove)

    def stop(self) -> None:
        """Close every listener and abort every connection."""
        if not self._started:
            self._sel.close()
            self._wake_r.close()
            self._wake_w.close()
            return

        def shutdown() -> None:
            for ln in list(self._listeners.values()):
                self._close_listener(ln)
            self._listeners.clear()
            for conn, _ in list(self._conns.values()):
                self._finish(conn, abort=True)
            self._stopping = True

        try:
            self._call(shutdown)
        except Exception:
            self._stopping = True
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass
        self._thread.join(timeout=5)
        self._started = False

    # -- the loop thread ---------------------------------------------------------------------------
    def _close_listener(self, ln: _Listener) -> None:
        if ln.sock is not None:
            self._sel.unregister(ln.sock)
            ln.sock.close()
            ln.sock = None
        if ln.hold is not None:
            ln.hold.close()
            ln.hold = None
        self.known_keys.discard(ln.key)
        self.refusing_keys.discard(ln.key)

    def _run(self) -> None:
        try:
            while not self._stopping:
                timeout = None
                if self._timers:
                    timeout = max(0.0, self._timers[0][0] - time.monotonic())
                for key, mask in self._sel.select(timeout):
                    data = key.data
                    try:
                        if data is None:
                            self._run_calls()
                        elif isinstance(data, _Listener):
                            self._accept(data)
                        else:
                            self._ready(key.fileobj, mask)  # type: ignore[arg-type]
                    except Exception:
                        log.exception("kube-proxy relay: handling an event failed")
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    _, _, fn = heapq.heappop(self._timers)
                    if fn is not None:
                        try:
                            fn()
                        except Exception:
                            log.exception("kube-proxy relay: a timer failed")
                if self.after_round is not None:
                    self.after_round(False)
        finally:
            self._run_calls()
            if self.after_round is not None:
                self.after_round(True)
            self._sel.close()
            self._wake_r.close()
            self._wake_w.close()

    def _run_calls(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass
        with self._lock:
            calls, self._calls = self._calls, []
        for fn, fut in calls:
            try:
                fut.set_result(fn())
            except BaseException as e:
                fut.set_exception(e)

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run *fn* on the loop thread after *delay* seconds; only from the loop thread."""
        self._later(delay, fn)

    def _later(self, delay: float, fn: Callable[[], None]) -> list[Any]:
        entry = [time.monotonic() + delay, next(self._seq), fn]
        heapq.heappush(self._timers, entry)
        return entry

    def _watch(self, side: _Side, conn: _Conn) -> None:
        """(Re-)register *side* for what it waits on now: readable while reading, writable while it
        has bytes to write (or is connecting)."""
        if conn.closed:
            return
        mask = 0
        if side.reading and not side.eof_in:
            mask |= selectors.EVENT_READ
        if side.out or (conn.state == "connecting" and side is conn.backend):
            mask |= selectors.EVENT_WRITE
        registered = side.sock in self._conns
        if mask and registered:
            self._sel.modify(side.sock, mask, conn)
        elif mask:
            self._sel.register(side.sock, mask, conn)
            self._conns[side.sock] = (conn, side)
        elif registered:
            self._sel.unregister(side.sock)
            del self._conns[side.sock]

    def _accept(self, ln: _Listener) -> None:
        for _ in range(64):  # drain the backlog a little at a time
            if ln.sock is None:
                return
            try:
                sock, peer = ln.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            conn = _Conn(sock, (str(peer[0]), int(peer[1])), ln)
            if conn.state == "peeking":
                self._watch(conn.client, conn)
                conn.timer = self._later(_PEEK_TIMEOUT, lambda c=conn: self._decide(c))  # type: ignore[misc]
            else:
                self._decide(conn)

    def _decide(self, conn: _Conn) -> None:
        """Choose the endpoints (from the first bytes on a shared listener) and start connecting."""
        if conn.closed or conn.state not in ("new", "peeking"):
            return
        self._cancel_timer(conn)
        ln = conn.listener
        try:
            if ln.peek is not None:
                conn.ports, conn.done = ln.peek(conn.peername, bytes(conn.head))
            else:
                assert ln.pick is not None
                conn.ports, conn.done = ln.pick(conn.peername)
        except Exception:
            log.exception("kube-proxy: choosing an endpoint failed")
            conn.ports, conn.done = [], lambda _p: None
        conn.ports = [p for p in conn.ports if p]
        if not conn.ports:
            conn.done(None)
            self._finish(conn, abort=True)  # no endpoints: refuse
            return
        conn.client.reading = False  # paused until the backend is connected
        self._watch(conn.client, conn)
        self._connect_next(conn)

    def _connect_next(self, conn: _Conn) -> None:
        while conn.ports and not conn.closed:
            port = conn.ports.pop(0)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            err = sock.connect_ex(port)
            if err in (0, errno.EINPROGRESS):
                backend = _Side(sock)
                backend.out = bytearray(conn.head)  # what the client sent so far (kept for a retry)
                backend.peer, conn.client.peer = conn.client, backend
                conn.backend, conn.port, conn.state = backend, port, "connecting"
                conn.timer = self._later(_CONNECT_TIMEOUT, lambda c=conn: self._connect_failed(c))  # type: ignore[misc]
                self._watch(backend, conn)
                return
            sock.close()
        if not conn.closed:
            conn.done(None)
            self._finish(conn, abort=True)

    def _connect_failed(self, conn: _Conn) -> None:
        if conn.closed or conn.state != "connecting" or conn.backend is None:
            return
        self._cancel_timer(conn)
        backend = conn.backend
        self._drop(backend)
        backend.sock.close()
        conn.backend, conn.state = None, "new"
        self._connect_next(conn)

    def _connected(self, conn: _Conn) -> None:
        self._cancel_timer(conn)
        conn.state = "spliced"
        conn.head = bytearray()
        conn.client.reading = True
        conn.done(conn.port)
        assert conn.backend is not None
        self._flush(conn.backend, conn)
        self._watch(conn.client, conn)

    def _cancel_timer(self, conn: _Conn) -> None:
        if conn.timer is not None:
            conn.timer[2] = None
            conn.timer = None

    def _ready(self, sock: socket.socket, mask: int) -> None:
        entry = self._conns.get(sock)
        if entry is None:
            return
        conn, side = entry
        if conn.state == "connecting" and side is conn.backend:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self._connect_failed(conn)
                return
            self._connected(conn)
            return
        if mask & selectors.EVENT_WRITE and not conn.closed:
            self._flush(side, conn)
        if mask & selectors.EVENT_READ and not conn.closed:
            self._read(side, conn)

    def _read(self, side: _Side, conn: _Conn) -> None:
        try:
            data = side.sock.recv(_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._finish(conn, abort=True)
            return
        if conn.state == "peeking":
            if not data:
                side.eof_in = True
                self._watch(side, conn)
                self._decide(conn)
                return
            conn.head += data
            if b"\r\n\r\n" in conn.head or len(conn.head) >= _PEEK_BYTES:
                self._decide(conn)
            return
        peer = side.peer
        if peer is None:
            return
        if not data:
            side.eof_in = True
            self._watch(side, conn)
            self._flush(peer, conn)  # passes the EOF on once its bytes are out
            return
        peer.out += data
        self._flush(peer, conn)
        if len(peer.out) > _HIGH_WATER:  # back-pressure: stop reading until the peer drains
            side.reading = False
            self._watch(side, conn)

    def _flush(self, side: _Side, conn: _Conn) -> None:
        """Write what *side* has waiting; pass its peer's EOF on when all is written."""
        if side.out:
            try:
                sent = side.sock.send(side.out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._finish(conn, abort=True)
                return
            del side.out[:sent]
        peer = side.peer
        if not side.out:
            if peer is not None and not peer.reading and not peer.eof_in and conn.state == "spliced":
                peer.reading = True
                self._watch(peer, conn)
            if peer is not None and peer.eof_in and not side.shut_out:
                side.shut_out = True
                try:
                    side.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        self._watch(side, conn)
        if (side.shut_out and peer is not None and peer.shut_out) or (
                peer is not None and side.eof_in and peer.eof_in and not side.out and not peer.out):
            self._finish(conn)

    def _drop(self, side: _Side) -> None:
        if side.sock in self._conns:
            self._sel.unregister(side.sock)
            del self._conns[side.sock]

    def _finish(self, conn: _Conn, abort: bool = False) -> None:
        if conn.closed:
            return
        conn.closed = True
        self._cancel_timer(conn)
        for side in (conn.client, conn.backend):
            if side is None:
                continue
            self._drop(side)
            if abort:
                _abort(side.sock)
            else:
                side.sock.close()
