"""A read-mostly ``etcdctl`` for the etcd-like store, so a lesson can look at what is really stored.

Only the apiserver writes the store; this lets a student *read* it the way an administrator reads
a real etcd, with the same keys (``/registry/deployments/default/web``), the same revision numbers
(``create_revision``, ``mod_revision``, ``version``) and the same commands::

    etcdctl get /registry/pods --prefix --keys-only
    etcdctl get /registry/deployments/default/web -w fields
    etcdctl get /registry/deployments/default/web --rev 42          # the value as it was then
    etcdctl watch /registry/pods/default --prefix --rev 40          # replay the changes since 40
    etcdctl endpoint status                                          # the current revision
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
                return self._status()
            if verb == "compaction":
                if not positional:
                    raise EtcdctlError("Error: compaction command needs 1 argument")
                self.store.compact(int(positional[0]))
                return f"compacted revision {int(positional[0])}\n"
        except StoreError as err:
            raise EtcdctlError(f"Error: {str(err).split(' (')[0]}") from None
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
    def _status(self) -> str:
        keys = self.store.count("/")
        return ("+----------------+----------+------------------+-------+\n"
                "|    ENDPOINT    | REVISION | COMPACT REVISION | KEYS  |\n"
                "+----------------+----------+------------------+-------+\n"
                f"| 127.0.0.1:2379 | {self.store.revision:>8} | {self.store.compacted_revision:>16} | {keys:>5} |\n"
                "+----------------+----------+------------------+-------+\n")


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

