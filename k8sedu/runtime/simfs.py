"""The simulated runtime's filesystem: a dict of files per container, plus its mounts.

Enough for what lessons do inside containers: ``cat /etc/hostname``, the liveness-probe classic
(``touch /tmp/healthy; sleep 30; rm -f /tmp/healthy``), ``rm /www/healthz`` to fail a probe, reading a
ConfigMap's files, a sidecar writing into a shared emptyDir::

    /etc/hostname, /etc/hosts, /etc/resolv.conf …   files of this container (a dict)
    /config  -> host folder /tmp/k8sedu/…/config    Mount(host_path=…): the real files on this machine
    /data    -> volume "web-x2k8p-cache"            Mount(volume=…): a dict shared by the Pod's containers

``overlay()`` gives a scratch copy whose writes stay in the copy; the start script of a container is
interpreted on one (its file changes are then replayed on the real one as cluster time passes).
"""

from __future__ import annotations

import os
import posixpath

__all__ = ["SimFS", "DEFAULT_DIRS"]

DEFAULT_DIRS = ("/", "/bin", "/dev", "/etc", "/home", "/proc", "/root", "/sbin", "/sys", "/tmp", "/usr",
                "/usr/bin", "/usr/sbin", "/var", "/var/www")  # fmt: skip


class SimFS:
    """Files of one simulated container. Not thread-safe: the runtime's lock guards it."""

    def __init__(
        self,
        files: dict[str, str] | None = None,
        mounts: list[tuple[str, str, object, bool]] | None = None,
    ) -> None:
        # mounts: (container_path, kind "host"|"volume", host folder str | shared dict, read_only)
        self.files: dict[str, str] = dict(files or {})
        self.dirs: set[str] = set(DEFAULT_DIRS)
        self.mounts = sorted(mounts or [], key=lambda m: -len(m[0]))
        self.removed: set[str] = set()  # overlay only: paths deleted in the copy
        self._overlay = False

    def overlay(self) -> SimFS:
        """A scratch copy: reads see this filesystem, writes stay in the copy."""
        copy = SimFS(self.files, self.mounts)
        copy.dirs = set(self.dirs)
        copy.removed = set(self.removed)
        copy._overlay = True
        return copy

    # -- paths ----------------------------------------------------------------------------------------
    @staticmethod
    def norm(path: str, cwd: str = "/") -> str:
        return posixpath.normpath(posixpath.join(cwd, path)).replace("//", "/")

    def _mount(self, path: str) -> tuple[str, str, object, bool, str] | None:
        for target, kind, source, ro in self.mounts:
            if path == target or path.startswith(target.rstrip("/") + "/"):
                return target, kind, source, ro, path[len(target) :].lstrip("/")
        return None

    # -- reading --------------------------------------------------------------------------------------
    def read(self, path: str) -> str | None:
        path = self.norm(path)
        if path in self.removed:
            return None
        if self._overlay and path in self.files:
            return self.files[path]
        m = self._mount(path)
        if m:
            _, kind, source, _, rel = m
            if kind == "host":
                full = os.path.join(str(source), rel) if rel else str(source)  # a file (subPath)
                try:
                    with open(full, encoding="utf-8", errors="replace") as f:
                        return f.read()
                except OSError:
                    return None
            return source.get(rel) if isinstance(source, dict) else None
        return self.files.get(path)

    def is_dir(self, path: str) -> bool:
        path = self.norm(path)
        if path in self.removed:
            return False
        m = self._mount(path)
        if m:
            _, kind, source, _, rel = m
            if kind == "host":
                return os.path.isdir(os.path.join(str(source), rel))
            return rel == "" or (isinstance(source, dict) and any(k.startswith(rel + "/") for k in source))
        prefix = path.rstrip("/") + "/"
        return path in self.dirs or any(f.startswith(prefix) for f in self.files)

    def exists(self, path: str) -> bool:
        return self.read(path) is not None or self.is_dir(path)

    def listdir(self, path: str) -> list[str] | None:
        path = self.norm(path)
        if not self.is_dir(path):
            return None
        names: set[str] = set()
        m = self._mount(path)
        if m:
            _, kind, source, _, rel = m
            if kind == "host":
                try:
                    names |= {n for n in os.listdir(os.path.join(str(source), rel)) if not n.startswith("..")}
                except OSError:
                    pass
            elif isinstance(source, dict):
                prefix = rel + "/" if rel else ""
                names |= {k[len(prefix) :].split("/", 1)[0] for k in source if k.startswith(prefix)}
        prefix = path.rstrip("/") + "/"
        for p in list(self.files) + list(self.dirs):
            if p.startswith(prefix) and p != path and p not in self.removed:
                names.add(p[len(prefix) :].split("/", 1)[0])
        for target, *_ in self.mounts:
            if target.startswith(prefix):
                names.add(target[len(prefix) :].split("/", 1)[0])
        return sorted(n for n in names if n)

    # -- writing --------------------------------------------------------------------------------------
    def write(self, path: str, text: str, append: bool = False) -> str | None:
        """Write a file; returns an error message (busybox's words) or None."""
        path = self.norm(path)
        parent = posixpath.dirname(path)
        if not self.is_dir(parent):
            return f"can't create '{path}': No such file or directory"
        old = (self.read(path) or "") if append else ""
        m = self._mount(path)
        if m and m[3]:
            return f"can't create '{path}': Read-only file system"
        self.removed.discard(path)
        if m and not self._overlay:
            _, kind, source, _, rel = m
            if kind == "host":
                try:
                    with open(os.path.join(str(source), rel), "w", encoding="utf-8") as f:
                        f.write(old + text)
                except OSError as e:
                    return f"can't create '{path}': {e.strerror}"
            elif isinstance(source, dict):
                source[rel] = old + text
            return None
        self.files[path] = old + text
        return None

    def mkdir(self, path: str) -> None:
        path = self.norm(path)
        m = self._mount(path)
        if m and not self._overlay and m[1] == "host":
            os.makedirs(os.path.join(str(m[2]), m[4]), exist_ok=True)
            return
        self.removed.discard(path)
        self.dirs.add(path)

    def remove(self, path: str) -> bool:
        """Remove a file (or an empty/any directory for rm -r); False if it did not exist."""
        path = self.norm(path)
        if not self.exists(path):
            return False
        m = self._mount(path)
        if m and m[3]:
            return False
        if m and not self._overlay:
            _, kind, source, _, rel = m
            if kind == "host":
                full = os.path.join(str(source), rel)
                try:
                    if os.path.isfile(full):
                        os.remove(full)
                except OSError:
                    return False
            elif isinstance(source, dict):
                for k in [k for k in source if k == rel or k.startswith(rel + "/")]:
                    del source[k]
            return True
        prefix = path.rstrip("/") + "/"
        for p in [p for p in self.files if p == path or p.startswith(prefix)]:
            del self.files[p]
        self.dirs.discard(path)
        if self._overlay:
            self.removed.add(path)
        return True
