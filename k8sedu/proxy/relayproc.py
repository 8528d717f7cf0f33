"""kube-proxy's data path in its own process, so relaying bytes does not compete with the control plane.

Real kube-proxy's data path is the kernel: its connections never wait for kube-proxy itself. Ours is a
user-space relay (:mod:`k8sedu.proxy.relay`); run in the notebook's kernel it shares one interpreter
lock with the apiserver, the controllers, the kubelets and the dashboards, and every request through
a Service waits its turn. So the relay runs in a child process, as the kernel's part would::

    kernel process (kube-proxy's control loop)            relay process (the "kernel's" part)
    ──────────────────────────────────────────            ───────────────────────────────────
    sync(): table of Service ports ──"table"────────────▶ Chooser (iptables / ipvs / affinity)
            listeners to open/close ──"listen"/"close"──▶ RelayLoop: accept, choose, splice bytes
            REJECT / accept again ────"refuse"──────────▶
    flow events  ◀────────────────────"flow" per connection: client, endpoint chosen, rule

Each table push carries a version and the parent keeps the last few tables; a connection's record
names its table version, Service port and endpoint addresses (a few dozen bytes), so neither side
serializes or rebuilds Service ports per connection. Records wait up to 10 ms to go out together in
one write (``flush`` sends them at once).

The control channel is a Unix socket pair carrying one JSON object a line. ``listen`` answers with
the bound port (or the OSError). The child exits when the channel closes (the kernel stopped or died).

The endpoint choice happens in the child, with the same :class:`~k8sedu.proxy.rules.Chooser`;
affinity timeouts use the cluster clock, rebuilt in the child from its epoch and speed (so this
relay needs a real :class:`~k8sedu.clock.Clock`, not a test's fake one).
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import itertools
import json
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from ..clock import Clock
from .relay import Addr, Pick, RelayLoop
from .rules import Choice, Chooser, Endpoint, ServicePort

__all__ = ["RelayProcess", "FlowRecord", "sp_to_json", "sp_from_json"]

log = logging.getLogger(__name__)

#: (Service port, client (ip, port), the choice or None, "clusterIP" | "nodePort", endpoint that served or None)
FlowRecord = tuple[ServicePort, tuple[str, int], "Choice | None", str, "Endpoint | None"]

_Ports = dict[tuple[str, str, int], ServicePort]
_State = tuple[int, _Ports]  # the child's: table version, Service ports
_Table = tuple[_Ports, dict[tuple[tuple[str, str, int], str], Endpoint]]  # the parent's, per version
_TABLES_KEPT = 64  # tables the parent remembers for records still on their way
_RECORD_DELAY = 0.01  # seconds a connection record may wait to go out with others

_CALL_TIMEOUT = 15.0  # real seconds; the machine may be busy


def _ep_to_json(e: Endpoint) -> dict[str, Any]:
    return dataclasses.asdict(e)


def _ep_from_json(d: dict[str, Any]) -> Endpoint:
    d = dict(d)
    if d.get("target") is not None:
        d["target"] = (str(d["target"][0]), int(d["target"][1]))
    return Endpoint(**d)


def sp_to_json(sp: ServicePort) -> dict[str, Any]:
    d = {f.name: getattr(sp, f.name) for f in dataclasses.fields(sp) if f.name != "endpoints"}
    d["endpoints"] = [_ep_to_json(e) for e in sp.endpoints]
    return d


def sp_from_json(d: dict[str, Any]) -> ServicePort:
    d = dict(d)
    d["endpoints"] = tuple(_ep_from_json(e) for e in d.get("endpoints") or [])
    return ServicePort(**d)


def _key(raw: Any) -> Any:
    """JSON turns tuples into lists; listener keys are (kind, (namespace, name, port))."""
    return tuple(_key(x) for x in raw) if isinstance(raw, list) else raw


class RelayProcess:
    """The parent's handle on the relay process; listener calls mirror :class:`RelayLoop`'s.

    Listener keys are ``("svc", service key)`` and ``("nodeport", service key)``: the child picks
    for them from the table pushed with :meth:`set_table`. Each connection's record is handed to
    *on_flow*, on a reader thread.
    """

    def __init__(self, mode: str, clock: Clock, on_flow: Callable[[FlowRecord], None]) -> None:
        self.mode = mode
        self.clock = clock
        self.on_flow = on_flow
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._file: Any = None
        self._write_lock = threading.Lock()  # guards writes to the channel
        self._lock = threading.Lock()  # guards _pending
        self._pending: dict[int, concurrent.futures.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._reader: threading.Thread | None = None
        self.known_keys: set[Any] = set()
        self.refusing_keys: set[Any] = set()
        # the tables pushed, by version, with their endpoints by (Service port, address): a record
        # names its table, Service port and endpoints, so the parent rebuilds nothing from JSON
        self._tables: collections.OrderedDict[int, _Table] = collections.OrderedDict()
        self._versions = itertools.count(1)

    def start(self) -> None:
        if self._proc is not None:
            return
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        clock = {"real0": self.clock._real0, "mono0": self.clock._mono0, "speed": self.clock.speed}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "k8sedu.proxy.relayproc", str(child.fileno()), self.mode, json.dumps(clock)],
            pass_fds=(child.fileno(),), close_fds=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [_package_root(), os.environ.get("PYTHONPATH", "")] if p)},
        )
        child.close()
        self._sock = parent
        self._file = parent.makefile("rb")
        self._reader = threading.Thread(target=self._read_loop, name="kube-proxy-relay-reader", daemon=True)
        self._reader.start()
        self._call({"op": "ping"})

    def _send(self, msg: dict[str, Any]) -> None:
        if self._sock is None:
            raise RuntimeError("the relay process is not running")
        data = (json.dumps(msg, separators=(",", ":")) + "\n").encode()
        with self._write_lock:
            self._sock.sendall(data)

    def _call(self, msg: dict[str, Any]) -> Any:
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        msg_id = next(self._ids)
        with self._lock:
            self._pending[msg_id] = fut
        try:
            self._send({**msg, "id": msg_id})
            return fut.result(timeout=_CALL_TIMEOUT)
        finally:
            with self._lock:
                self._pending.pop(msg_id, None)

    def _read_loop(self) -> None:
        assert self._file is not None
        try:
            for line in self._file:
                try:
                    msg = json.loads(line)
                    if msg.get("op") == "flow":
                        self._flow(msg)
                        continue
                    with self._lock:
                        fut = self._pending.get(int(msg.get("id", 0)))
                    if fut is None:
                        continue
                    if "errno" in msg:
                        fut.set_exception(OSError(msg["errno"], msg.get("error", "")))
                    elif "error" in msg:
                        fut.set_exception(RuntimeError(msg["error"]))
                    else:
                        fut.set_result(msg.get("result"))
                except Exception:
                    log.exception("kube-proxy: a message from the relay process was not understood")
        except (OSError, ValueError):
            pass
        with self._lock:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(RuntimeError("the relay process exited"))

    def _flow(self, msg: dict[str, Any]) -> None:
        """One connection's record: ``t`` the table version the child chose from, ``k`` the Service
        port, ``c`` the client, ``s`` the endpoint that served (address) and ``ch`` the choice
        (address, rule, of, affinity)."""
        with self._lock:
            table = self._tables.get(int(msg["t"]))
        if table is None:  # older than every table kept: cannot be told faithfully
            log.warning("kube-proxy: a connection record names a table no longer kept")
            return
        ports, endpoints = table
        key = _key(msg["k"])
        ch = msg.get("ch")
        choice = None if ch is None else Choice(endpoints[(key, ch[0])], int(ch[1]), int(ch[2]), bool(ch[3]))
        served = endpoints[(key, msg["s"])] if msg.get("s") else None
        self.on_flow((ports[key], (str(msg["c"][0]), int(msg["c"][1])), choice, str(msg["via"]), served))

    # -- the RelayLoop-like calls ------------------------------------------------------------------
    def set_table(self, table: dict[tuple[str, str, int], ServicePort]) -> None:
        """The Service ports new connections are chosen from (upstream: the rules written)."""
        version = next(self._versions)
        with self._lock:
            self._tables[version] = (dict(table), {(k, e.address): e for k, sp in table.items() for e in sp.endpoints})
            while len(self._tables) > _TABLES_KEPT:
                self._tables.popitem(last=False)
        self._send({"op": "table", "v": version, "table": [sp_to_json(sp) for sp in table.values()]})

    def set_mode(self, mode: str) -> None:
        """Switch the child's Chooser between iptables and ipvs."""
        self.mode = mode
        self._send({"op": "mode", "mode": mode})

    def listen(self, key: Any, pick: Pick | None = None, port: int = 0, host: str = "127.0.0.1") -> int:
        """Listen under *key* (``("svc"|"nodeport", service key)``); *pick* is unused (the child picks)."""
        bound = int(self._call({"op": "listen", "key": key, "port": port, "host": host}))
        self.known_keys.add(key)
        self.refusing_keys.discard(key)
        return bound

    def set_refusing(self, key: Any, refusing: bool) -> None:
        """Sent without waiting (the channel keeps the order); :meth:`flush` waits for all of it."""
        self._send({"op": "refuse", "key": key, "refusing": refusing})
        if refusing:
            self.refusing_keys.add(key)
        else:
            self.refusing_keys.discard(key)

    def flush(self) -> None:
        """Wait until the child has carried out everything sent so far."""
        self._call({"op": "ping"})

    def refusing(self, key: Any) -> bool:
        return key in self.refusing_keys

    def known(self, key: Any) -> bool:
        return key in self.known_keys

    def close(self, key: Any) -> None:
        if self._proc is None:
            return
        self._send({"op": "close", "key": key})
        self.known_keys.discard(key)
        self.refusing_keys.discard(key)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if self._sock is not None:
                self._sock.shutdown(socket.SHUT_RDWR)
                self._sock.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=5)
        if self._file is not None:
            self._file.close()
            self._file = None
        self._sock = None
        self.known_keys.clear()
        self.refusing_keys.clear()


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# -- the child ----------------------------------------------------------------------------------------
class _Child:
    def __init__(self, sock: socket.socket, mode: str, clock: Clock) -> None:
        self.sock = sock
        self.clock = clock
        self.chooser = Chooser(mode)
        self.relay = RelayLoop("kube-proxy")
        # the table and its version, replaced whole, read once per pick
        self.state: _State = (0, {})
        self.out: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        # connection records (loop thread only), handed to the writer together once the oldest has
        # waited _RECORD_DELAY: waking the writer thread costs the loop the interpreter lock, and per
        # connection that was a third of the relay's CPU; dashboards redraw every 100 ms anyway
        self.records: list[str] = []
        self.records_since = 0.0
        self.flush_due = False  # a timer will end the select wait in time to send them
        self.relay.after_round = self.flush_records

    def flush_records(self, final: bool = False) -> None:
        """After each select round (and when the loop stops, *final*): send what has waited long enough."""
        if not self.records:
            return
        if final or len(self.records) >= 256 or time.monotonic() - self.records_since >= _RECORD_DELAY:
            self.out.put("".join(self.records).encode())
            self.records.clear()
        elif not self.flush_due:
            self.flush_due = True
            self.relay.call_later(self.records_since + _RECORD_DELAY - time.monotonic(), self._flush_due)

    def _flush_due(self) -> None:
        self.flush_due = False  # the round ends with flush_records, which now sends them

    def reply(self, msg: dict[str, Any]) -> None:
        self.out.put((json.dumps(msg, separators=(",", ":")) + "\n").encode())

    def record(self, version: int, key: tuple[str, str, int], client: tuple[str, int], via: str,
               choice: Choice | None, served: Endpoint | None) -> None:
        """A connection's record for the parent (see :meth:`RelayProcess._flow`); on the loop thread."""
        if not self.records:
            self.records_since = time.monotonic()
        ch = ("null" if choice is None else
              f'["{choice.endpoint.address}",{choice.rule},{choice.of},{"true" if choice.affinity else "false"}]')
        by = f'"{served.address}"' if served else "null"
        self.records.append(
            f'{{"op":"flow","t":{version},"k":["{key[0]}","{key[1]}",{key[2]}],"c":["{client[0]}",{client[1]}],'
            f'"via":"{via}","s":{by},"ch":{ch}}}\n')

    def write_loop(self) -> None:
        while True:
            first = self.out.get()
            if first is None:
                return
            batch, stop = [first], False
            while len(batch) < 256:  # what else is waiting goes in the same write
                try:
                    more = self.out.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            try:
                self.sock.sendall(b"".join(batch))
            except OSError:
                return
            if stop:
                return

    def picker(self, key: tuple[str, str, int], via: str) -> Pick:
        def pick(client: tuple[str, int]) -> tuple[list[Addr], Callable[[Addr | None], None]]:
            version, table = self.state
            sp = table.get(key)
            if sp is None:
                return [], lambda _a: None
            choice = self.chooser.choose(sp, client[0], self.clock.now())
            if choice is None:
                self.record(version, key, client, via, None, None)
                return [], lambda _a: None
            usable = [e for e in _usable(sp) if e.reach is not None]
            first = choice.endpoint.reach
            order = ([choice.endpoint] if first is not None else []) + [e for e in usable if e is not choice.endpoint]

            def done(addr: Addr | None) -> None:
                served = next((e for e in order if addr is not None and e.reach == addr), None)
                self.record(version, key, client, via, choice, served)

            return [e.reach for e in order if e.reach is not None], done

        return pick

    def handle(self, msg: dict[str, Any]) -> Any:
        op = msg.get("op")
        if op == "ping":  # also "send every record first": the answer follows them on the channel
            try:
                self.relay._call(lambda: self.flush_records(final=True))
            except RuntimeError:
                pass  # the loop has stopped (and sent its records on the way out)
            return "pong"
        if op == "mode":
            self.chooser.mode = str(msg["mode"])
            return None
        if op == "table":
            table = {sp.key: sp for sp in (sp_from_json(d) for d in msg["table"])}
            for gone in set(self.state[1]) - set(table):
                self.chooser.forget(gone)
            self.state = (int(msg["v"]), table)
            return None
        key = _key(msg.get("key"))
        if op == "listen":
            kind, svc_key = key
            return self.relay.listen(key, self.picker(svc_key, "nodePort" if kind == "nodeport" else "clusterIP"),
                                     int(msg.get("port") or 0), str(msg.get("host") or "127.0.0.1"))
        if op == "refuse":
            self.relay.set_refusing(key, bool(msg["refusing"]))
            return None
        if op == "close":
            self.relay.close(key)
            return None
        raise ValueError(f"unknown op {op!r}")

    def run(self) -> None:
        self.relay.start()
        writer = threading.Thread(target=self.write_loop, name="relay-writer", daemon=True)
        writer.start()
        try:
            with self.sock.makefile("rb") as lines:
                for line in lines:
                    msg = json.loads(line)
                    try:
                        result = self.handle(msg)
                    except Exception as e:
                        if "id" not in msg:  # nobody waits for the answer
                            log.warning("kube-proxy relay: %s failed: %s", msg.get("op"), e)
                        elif isinstance(e, OSError):
                            self.reply({"id": msg["id"], "errno": e.errno, "error": str(e)})
                        else:
                            self.reply({"id": msg["id"], "error": f"{type(e).__name__}: {e}"})
                    else:
                        if "id" in msg:
                            self.reply({"id": msg["id"], "result": result})
        except (OSError, ValueError):
            pass
        finally:
            self.relay.stop()
            self.out.put(None)
            writer.join(timeout=2)


def _usable(sp: ServicePort) -> tuple[Endpoint, ...]:
    from .rules import usable_endpoints

    return usable_endpoints(sp.endpoints)


def main(argv: list[str]) -> int:
    fd, mode, clock_json = int(argv[0]), argv[1], json.loads(argv[2])
    clock = Clock(float(clock_json["speed"]))
    clock._real0, clock._mono0 = float(clock_json["real0"]), float(clock_json["mono0"])
    sock = socket.socket(fileno=fd)
    _Child(sock, mode, clock).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
