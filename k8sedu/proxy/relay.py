"""The data path: TCP listeners on 127.0.0.1 that splice each connection to an endpoint.

Real kube-proxy never touches a packet: it writes iptables or IPVS rules and the kernel rewrites
the destination of each new connection (DNAT). We cannot change the host's kernel from a notebook,
so we do the kernel's part in user space, the way kube-proxy's old ``userspace`` mode did::

    client ──▶ 127.0.0.1:<service listener> ──(choose endpoint)──▶ 127.0.0.1:<Pod's published port>
               one asyncio event loop, one thread, for every listener and every connection

Bytes are copied as they come, with back-pressure both ways (a slow reader pauses the other side).
When no endpoint can take a connection it is closed at once: upstream's iptables REJECTs it and the
client sees "connection refused"; closing the accepted socket is the closest we can do after the
handshake. If the chosen endpoint refuses (its container just stopped), the next usable one is
tried, as the userspace proxier did.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["RelayLoop", "Pick", "PeekPick"]

log = logging.getLogger(__name__)

#: called for each new connection with the client's (ip, port); returns the host ports to try,
#: in order, and a callback told which one answered (or None when none did); [] refuses it
Pick = Callable[[tuple[str, int]], tuple[list[int], Callable[[int | None], None]]]

#: like Pick, also given the first bytes the client sent (see _PeekingClient)
PeekPick = Callable[[tuple[str, int], bytes], tuple[list[int], Callable[[int | None], None]]]

_CONNECT_TIMEOUT = 2.0
_PEEK_TIMEOUT = 0.2  # real seconds a shared listener waits for the request head
_PEEK_BYTES = 8192


class _Side(asyncio.Protocol):
    """One socket of a spliced pair; writes what it reads into its peer."""

    def __init__(self, relay: RelayLoop) -> None:
        self.relay = relay
        self.transport: asyncio.Transport | None = None
        self.peer: _Side | None = None
        self.pending: list[bytes] = []  # bytes read before the peer was connected
        self.pending_eof = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.relay.sides.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.closed:
            peer.transport.write(data)
        else:
            self.pending.append(data)

    def eof_received(self) -> bool:
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.closed:
            if peer.transport.can_write_eof():
                peer.transport.write_eof()
        else:
            self.pending_eof = True
        return True  # keep our writing half open: the answer may still come

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.relay.sides.discard(self)
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.closed:
            peer.transport.close()

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None and not self.peer.closed:
            self.peer.transport.resume_reading()

    def link(self, peer: _Side) -> None:
        """Join two sides and flush what arrived before the join."""
        self.peer, peer.peer = peer, self
        assert peer.transport is not None
        for chunk in self.pending:
            peer.transport.write(chunk)
        self.pending.clear()
        if self.pending_eof and peer.transport.can_write_eof():
            peer.transport.write_eof()


class _Client(_Side):
    def __init__(self, relay: RelayLoop, pick: Pick) -> None:
        super().__init__(relay)
        self.pick = pick

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._start(transport.get_extra_info("peername") or ("127.0.0.1", 0))

    def _start(self, peername: tuple[Any, ...]) -> None:
        assert self.transport is not None
        try:
            ports, done = self.pick((peername[0], peername[1]))
        except Exception:
            log.exception("kube-proxy: choosing an endpoint failed")
            ports, done = [], lambda _p: None
        if not ports:
            done(None)
            self.transport.abort()  # no endpoints: refuse
            return
        self.transport.pause_reading()
        asyncio.ensure_future(self._connect(ports, done))

    async def _connect(self, ports: list[int], done: Callable[[int | None], None]) -> None:
        loop = asyncio.get_running_loop()
        for port in ports:
            if self.closed:
                return
            try:
                _, backend = await asyncio.wait_for(
                    loop.create_connection(lambda: _Side(self.relay), "127.0.0.1", port), _CONNECT_TIMEOUT)
            except (OSError, asyncio.TimeoutError):
                continue
            assert isinstance(backend, _Side)
            if self.closed:
                assert backend.transport is not None
                backend.transport.close()
                return
            self.link(backend)
            done(port)
            assert self.transport is not None
            self.transport.resume_reading()
            return
        done(None)
        if self.transport is not None:
            self.transport.abort()


class _PeekingClient(_Client):
    """A client on a listener several Services share: the endpoint is chosen from the first bytes
    (an HTTP request names its Service in ``Host:``), once the request head has come, the client
    half-closed, or ``_PEEK_TIMEOUT`` passed (a protocol where the server speaks first)."""

    def __init__(self, relay: RelayLoop, peek_pick: PeekPick) -> None:
        super().__init__(relay, lambda _client: ([], lambda _p: None))
        self.peek_pick = peek_pick
        self.decided = False
        self.peername: tuple[Any, ...] = ("127.0.0.1", 0)
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        _Side.connection_made(self, transport)
        self.peername = transport.get_extra_info("peername") or ("127.0.0.1", 0)
        self.timer = asyncio.get_running_loop().call_later(_PEEK_TIMEOUT, self._decide)

    def data_received(self, data: bytes) -> None:
        if self.decided:
            super().data_received(data)
            return
        self.pending.append(data)
        head = b"".join(self.pending)
        if b"\r\n\r\n" in head or len(head) >= _PEEK_BYTES:
            self._decide()

    def eof_received(self) -> bool:
        keep = super().eof_received()
        self._decide()
        return keep

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        super().connection_lost(exc)

    def _decide(self) -> None:
        if self.decided or self.closed:
            return
        self.decided = True
        if self.timer is not None:
            self.timer.cancel()
        head = b"".join(self.pending)
        self.pick = lambda client: self.peek_pick(client, head)
        self._start(self.peername)


class RelayLoop:
    """One event loop thread that owns every listener; listeners are added and removed from any
    thread."""

    def __init__(self, name: str = "kube-proxy") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=f"{name}-relay", daemon=True)
        self._servers: dict[Any, asyncio.AbstractServer] = {}  # touched only on the loop thread
        self.sides: set[_Side] = set()  # open connections; touched only on the loop thread
        self._started = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        if not self._started:
            self._thread.start()
            self._started = True

    def listen(self, key: Any, pick: Pick, port: int = 0, host: str = "127.0.0.1",
               peek: PeekPick | None = None) -> int:
        """Listen on *host*:*port* (0: any free one) under *key*; returns the port. With *peek*,
        each connection is routed by ``peek(client, first bytes)`` instead of *pick*.

        Raises OSError when the port is taken.
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(512)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        bound = int(sock.getsockname()[1])

        async def serve() -> None:
            server = await self.loop.create_server(
                (lambda: _PeekingClient(self, peek)) if peek is not None else (lambda: _Client(self, pick)),
                sock=sock)
            self._servers[key] = server

        asyncio.run_coroutine_threadsafe(serve(), self.loop).result(timeout=5)
        return bound

    def close(self, key: Any) -> None:
        async def close() -> None:
            server = self._servers.pop(key, None)
            if server is not None:
                server.close()

        if self._started and not self.loop.is_closed():
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=5)

    def stop(self) -> None:
        if not self._started:
            self.loop.close()
            return

        async def shutdown() -> None:
            for server in self._servers.values():
                server.close()
            self._servers.clear()
            for side in list(self.sides):
                if side.transport is not None:
                    side.transport.abort()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            for _ in range(3):  # let the aborted transports and cancelled tasks finish
                await asyncio.sleep(0)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=5)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self._started = False
        if not self._thread.is_alive():
            self.loop.close()
