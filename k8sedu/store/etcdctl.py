"""A read-mostly ``etcdctl`` for the etcd-like store, so a lesson can look at what is really stored.

Only the apiserver writes the store; this lets a student *read* it the way an administrator reads
a real etcd, with the same keys (``/registry/deployments/default/web``), the same revision numbers
(``create_revision``, ``mod_revision``, ``version``) and the same commands::

    etcdctl get /registry/pods --prefix --keys-only
    etcdctl get /registry/deployments/default/web -w fields
    etcdctl get /registry/deployments/default/web --rev 42          # the value as it was then
    etcdctl watch /registry/pods/default --prefix --rev 40          # replay the changes since 40
    etcdctl endpoint status -w json                                  # header.revision: the current one
    etcdctl compaction 50                                            # forget history before 50

Differences from the real tool, on purpose: values print as JSON (a real apiserver stores most
objects as protobuf, unreadable without ``auger``), and ``watch`` replays the history up to now
and returns instead of blocking, so a notebook cell finishes. Like the real tool, it talks to the
store directly — it is the one reader that bypasses the apiserver, which is why real clusters
protect etcd with client certificates.
"""

from __future__ import annotations

import base64
import json
import shlex

from ..errors import StoreError
from .mvcc import KeyValue, MemoryStore, StoreEvent

__all__ = ["Etcdctl", "EtcdctlError"]


class EtcdctlError(Exception):
    """What etcdctl prints on failure (``Error: ...``)."""


def _value(kv: KeyValue) -> str:
    return json.dumps(kv.value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


class Etcdctl:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    # -- the command line -----------------------------------------------------------------------
    def run(self, command: str | list[str]) -> str:
        words = shlex.split(command) if isinstance(command, str) else list(command)
        if words and words[0] == "etcdctl":
            words = words[1:]
        if not words:
            raise EtcdctlError("Error: no command given (get, watch, endpoint status, compaction)")
        verb, args = words[0], words[1:]
        flags, positional = _flags(args)
        try:
            if verb == "get":
                return self._get(positional, flags)
            if verb == "watch":
                return self._watch(positional, flags)
            if verb == "endpoint" and positional[:1] == ["status"]:
                return self._status(flags)
            if verb == "compaction":
                if not positional:
                    raise EtcdctlError("Error: compaction command needs 1 argument")
                self.store.compact(int(positional[0]))
                return f"compacted revision {int(positional[0])}\n"
        except StoreError as err:
            message = str(err).split(" (")[0]
            if message.startswith("mvcc: "):  # the client names the server that refused: rpctypes.ErrCompacted
                message = f"etcdserver: {message}"
            raise EtcdctlError(f"Error: {message}") from None
        except ValueError as err:
            raise EtcdctlError(f"Error: {err}") from None
        raise EtcdctlError(f'Error: unknown command "{verb}" for "etcdctl"')

    # -- get ------------------------------------------------------------------------------------
    def _get(self, positional: list[str], flags: dict[str, str]) -> str:
        if not positional:
            raise EtcdctlError("Error: get command needs one argument as key and an optional argument as range_end")
        key = positional[0]
        kvs = self.get(key, prefix="prefix" in flags, revision=int(flags.get("rev", "0") or 0))
        if "limit" in flags:
            kvs = kvs[: int(flags["limit"])]
        fmt = flags.get("write-out", flags.get("w", "simple"))
        if "count-only" in flags:
            return f"{len(kvs)}\n"
        if fmt == "json":
            return json.dumps({
                "header": {"revision": self.store.revision},
                "kvs": [{"key": base64.b64encode(kv.key.encode()).decode(), "create_revision": kv.create_revision,
                         "mod_revision": kv.mod_revision, "version": kv.version,
                         "value": base64.b64encode(_value(kv).encode()).decode()} for kv in kvs],
                "count": len(kvs),
            }) + "\n"
        if fmt == "fields":
            out = [f'"Revision" : {self.store.revision}']
            for kv in kvs:
                out += [f'"Key" : "{kv.key}"', f'"CreateRevision" : {kv.create_revision}',
                        f'"ModRevision" : {kv.mod_revision}', f'"Version" : {kv.version}']
                if "keys-only" not in flags:
                    out.append(f'"Value" : {_value(kv)}')
            out.append(f'"Count" : {len(kvs)}')
            return "\n".join(out) + "\n"
        lines: list[str] = []
        for kv in kvs:
            if "print-value-only" not in flags:
                lines.append(kv.key)
            if "keys-only" in flags:
                lines.append("")  # etcdctl prints an empty line after each key
            else:
                lines.append(_value(kv))
        return "\n".join(lines) + ("\n" if lines else "")

    def get(self, key: str, prefix: bool = False, revision: int = 0) -> list[KeyValue]:
        """The key (or every key under the prefix), now or as it was at *revision*."""
        if revision:
            kvs = self.store.range_at(key, revision)
            return kvs if prefix else [kv for kv in kvs if kv.key == key]
        if prefix:
            return self.store.range(key)[0]
        kv = self.store.get(key)
        return [kv] if kv is not None else []

    # -- watch ----------------------------------------------------------------------------------
    def _watch(self, positional: list[str], flags: dict[str, str]) -> str:
        if not positional:
            raise EtcdctlError("Error: watch command needs one argument")
        events = self.history(positional[0], prefix="prefix" in flags, from_revision=int(flags.get("rev", "0") or 0))
        lines: list[str] = []
        for e in events:
            lines += [e.type, e.kv.key]
            lines.append(_value(e.kv) if e.type == "PUT" else "")
        return "\n".join(lines) + ("\n" if lines else "")

    def history(self, key: str, prefix: bool = False, from_revision: int = 0) -> list[StoreEvent]:
        """Every change to the key (or under the prefix) still in the history, oldest first."""
        events = self.store.history(key, from_revision)
        return events if prefix else [e for e in events if e.kv.key == key]

    # -- status ---------------------------------------------------------------------------------
    def _status(self, flags: dict[str, str]) -> str:
        """``endpoint status`` in etcdctl 3.5's three forms: one member, which leads. The raft index
        here is the store's revision (each write is one raft entry), and the size the JSON bytes."""
        revision = self.store.revision
        size = sum(len(_value(kv).encode()) + len(kv.key) for kv in self.get("/", prefix=True))
        fmt = flags.get("write-out", flags.get("w", "simple"))
        if fmt == "json":
            header = {"cluster_id": _CLUSTER_ID, "member_id": _MEMBER_ID, "revision": revision, "raft_term": 2}
            return json.dumps([{"Endpoint": _ENDPOINT, "Status": {
                "header": header, "version": ETCD_VERSION, "dbSize": size, "leader": _MEMBER_ID,
                "raftIndex": revision, "raftTerm": 2, "raftAppliedIndex": revision, "dbSizeInUse": size}}],
                separators=(",", ":")) + "\n"
        row = [_ENDPOINT, f"{_MEMBER_ID:x}", ETCD_VERSION, _si_bytes(size), "true", "false", "2", str(revision),
               str(revision), ""]
        if fmt == "table":
            header_row = ["ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM",
                          "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"]
            widths = [max(len(h), len(v)) + 2 for h, v in zip(header_row, row, strict=True)]
            rule = "+" + "+".join("-" * w for w in widths) + "+\n"
            head = "|" + "|".join(h.center(w) for h, w in zip(header_row, widths, strict=True)) + "|\n"
            body = "|" + "|".join(f" {v} " if i == 0 else f" {v:>{w - 2}} "
                                  for i, (v, w) in enumerate(zip(row, widths, strict=True))) + "|\n"
            return rule + head + rule + body + rule
        if fmt != "simple":
            raise EtcdctlError(f"Error: unknown output format {fmt!r} (simple, json, table)")
        return ", ".join(row) + "\n"


#: what ``endpoint status`` reports about the one member
ETCD_VERSION = "3.5.16"
_ENDPOINT = "127.0.0.1:2379"
_MEMBER_ID = 0x8E9E05C52164694D
_CLUSTER_ID = 0xCDF818194E3A8C32


def _si_bytes(n: int) -> str:
    """go-humanize's ``Bytes``: SI units, one decimal under 10 (``20 kB``, ``1.5 MB``, ``812 B``)."""
    if n < 10:
        return f"{n} B"
    units = ["B", "kB", "MB", "GB", "TB"]
    e = 0
    while n >= 1000 ** (e + 1) and e < len(units) - 1:
        e += 1
    value = int(n / 1000 ** e * 10 + 0.5) / 10
    return f"{value:.1f} {units[e]}" if value < 10 else f"{value:.0f} {units[e]}"


def _flags(args: list[str]) -> tuple[dict[str, str], list[str]]:
    flags: dict[str, str] = {}
    positional: list[str] = []
    takes_value = {"rev", "limit", "write-out", "w"}
    i = 0
    while i < len(args):
        word = args[i]
        if word.startswith("-"):
            name, eq, value = word.lstrip("-").partition("=")
            if not eq and name in takes_value:
                i += 1
                if i >= len(args):
                    raise EtcdctlError(f"Error: flag needs an argument: --{name}")
                value = args[i]
            flags[name] = value
        else:
            positional.append(word)
        i += 1
    if "w" in flags:
        flags["write-out"] = flags.pop("w")
    return flags, positional

