"""The text tools of the shell model (sed, tr, cut, awk, wc, uniq, tee, read…), as busybox prints them.

Tutorials pipe a container's files through these (``wc -l /data/log``, ``sed -n 2p``, ``tr a-z A-Z``,
``seq 1 5 | while read i; do …; done``); each is ``fn(sh, args, stdin) -> exit status`` like the
commands of :mod:`k8sedu.runtime.simcommands`, covering the options tutorials use, with busybox's
output formats (``wc`` pads its columns to 9 only when it prints more than one).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from k8sedu.runtime.simfs import SimFS

if TYPE_CHECKING:
    from k8sedu.runtime.simshell import Interpreter

__all__ = ["TEXT_COMMANDS", "ls_long"]

Command = Callable[["Interpreter", list[str], "str | None"], int]


def _input(sh: Interpreter, files: list[str], stdin: str | None, name: str) -> str | None:
    """The files' text (or stdin); None after printing busybox's error for a missing one."""
    if not files or files == ["-"]:
        return stdin or ""
    chunks = []
    for f in files:
        text = sh.ctx.fs.read(SimFS.norm(f, sh.ctx.cwd))
        if text is None:
            sh.ctx.err(f"{name}: can't open '{f}': No such file or directory\n")
            return None
        chunks.append(text)
    return "".join(chunks)


def _wc(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    opts = "".join(a[1:] for a in args if a.startswith("-") and len(a) > 1)
    files = [a for a in args if not a.startswith("-") or a == "-"]
    wanted = [c for c in "lwc" if c in opts] or ["l", "w", "c"]
    status = 0
    for name in files or [""]:
        text = _input(sh, [name] if name else [], stdin, "wc")
        if text is None:
            status = 1
            continue
        counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(text.encode())}
        cols = [counts[c] for c in wanted]
        line = f"{cols[0]}" if len(cols) == 1 else " ".join(f"{n:9d}" for n in cols)
        sh.ctx.out(line + (f" {name}" if name else "") + "\n")
    return status


def _head(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    count, chars, files, i = 10, None, [], 0
    while i < len(args):
        a = args[i]
        if a in ("-n", "-c") and i + 1 < len(args):
            value = int(args[i + 1])
            count, chars = (value, chars) if a == "-n" else (count, value)
            i += 2
            continue
        if re.fullmatch(r"-n?\d+", a):
            count = int(a.lstrip("-n"))
        elif re.fullmatch(r"-c\d+", a):
            chars = int(a[2:])
        elif not a.startswith("-") or a == "-":
            files.append(a)
        i += 1
    text = _input(sh, files, stdin, "head")
    if text is None:
        return 1
    if chars is not None:
        sh.ctx.out(text.encode()[:chars].decode("utf-8", "replace"))
    else:
        sh.ctx.out("".join(text.splitlines(keepends=True)[:count]))
    return 0


def _expand_set(spec: str) -> str:
    """``a-z`` -> ``abc…z``; ``\\n`` and the classes tutorials use."""
    spec = spec.replace("[:lower:]", "a-z").replace("[:upper:]", "A-Z").replace("[:digit:]", "0-9")
    spec = spec.replace("[:space:]", " \t\n").replace("\\n", "\n").replace("\\t", "\t")
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


def _tr(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    delete = squeeze = False
    while args and args[0].startswith("-") and len(args[0]) > 1:
        delete, squeeze = delete or "d" in args[0], squeeze or "s" in args[0]
        args = args[1:]
    if not args:
        sh.ctx.err("tr: missing operand\n")
        return 1
    text, src = stdin or "", _expand_set(args[0])
    if delete:
        text = "".join(ch for ch in text if ch not in src)
    elif len(args) > 1:
        dst = _expand_set(args[1])
        dst = dst + dst[-1:] * (len(src) - len(dst)) if dst else ""
        text = text.translate({ord(a): b for a, b in zip(src, dst, strict=False)})
    if squeeze:
        chars = _expand_set(args[-1])
        text = re.sub("([" + re.escape(chars) + "])\\1+", r"\1", text) if chars else text
    sh.ctx.out(text)
    return 0


def _ranges(spec: str) -> Callable[[int], bool]:
    """``2``, ``1,3``, ``2-4``, ``3-`` (1-based) -> is this field/character picked?"""
    picks: list[tuple[int, int]] = []
    for part in spec.split(","):
        lo, sep, hi = part.partition("-")
        picks.append((int(lo or 1), int(hi) if hi else (10**9 if sep else int(lo or 1))))
    return lambda n: any(lo <= n <= hi for lo, hi in picks)


def _cut(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    delim, fields, chars, files, i = "\t", None, None, [], 0
    while i < len(args):
        a = args[i]
        if a in ("-d", "-f", "-c") and i + 1 < len(args):
            a, i = a + args[i + 1], i + 1
        if a.startswith("-d"):
            delim = a[2:] or " "
        elif a.startswith("-f"):
            fields = _ranges(a[2:])
        elif a.startswith("-c"):
            chars = _ranges(a[2:])
        else:
            files.append(a)
        i += 1
    text = _input(sh, files, stdin, "cut")
    if text is None:
        return 1
    out = []
    for line in text.splitlines():
        if chars is not None:
            out.append("".join(ch for n, ch in enumerate(line, 1) if chars(n)))
        elif fields is not None:
            parts = line.split(delim)
            out.append(line if len(parts) == 1 else delim.join(p for n, p in enumerate(parts, 1) if fields(n)))
    sh.ctx.out("".join(ln + "\n" for ln in out))
    return 0


def _sed(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """``sed -n 2p``, ``sed -n '2,3p'``, ``sed -n '$p'``, ``sed -n '/re/p'``, ``sed 's/a/b/g'``, ``sed '/re/d'``,
    ``sed -i`` (one file)."""
    quiet, in_place = "-n" in args, "-i" in args
    rest = [a for a in args if a not in ("-n", "-e", "-i")]
    if not rest:
        return 1
    script, files = rest[0], rest[1:]
    text = _input(sh, files, stdin, "sed")
    if text is None:
        return 1
    lines = text.splitlines()
    m = re.fullmatch(r"\s*(?:(\d+|\$|/[^/]*/)(?:,(\d+|\$|/[^/]*/))?)?\s*(p|d|s(.)(.*))\s*", script)
    if not m:
        sh.ctx.err(f"sed: unsupported command {script}\n")
        return 1
    start, end, cmd = m.group(1), m.group(2), m.group(3)

    def hit(addr: str, n: int, line: str) -> bool:
        if addr == "$":
            return n == len(lines)
        if addr.startswith("/"):
            return re.search(_bre(addr[1:-1]), line) is not None
        return n == int(addr)

    out: list[str] = []
    inside = False
    for n, line in enumerate(lines, 1):
        if start is None:
            picked = True
        elif end is None:
            picked = hit(start, n, line)
        else:
            if not inside and hit(start, n, line):
                inside, picked = True, True
                if end.isdigit() and int(end) <= n:
                    inside = False
            elif inside:
                picked = True
                if hit(end, n, line):
                    inside = False
            else:
                picked = False
        if cmd == "d":
            if not picked:
                out.append(line)
            continue
        if cmd == "p":
            if not quiet:
                out.append(line)
            if picked:
                out.append(line)
            continue
        sep = m.group(4)
        parts = re.split(r"(?<!\\)" + re.escape(sep), m.group(5))
        if picked and len(parts) >= 2:
            pattern, repl, flags = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
            repl = re.sub(r"\\(\d)", r"\\\1", repl).replace("&", r"\g<0>")
            new = re.sub(_bre(pattern), repl, line, count=0 if "g" in flags else 1)
            if not quiet or ("p" in flags and new != line):
                out.append(new)
        elif not quiet:
            out.append(line)
    result = "".join(ln + "\n" for ln in out)
    if in_place and files:  # sed -i 's/a/b/' /etc/app.conf: the file is rewritten
        error = sh.ctx.fs_write(SimFS.norm(files[0], sh.ctx.cwd), result, False)
        if error:
            sh.ctx.err(f"sed: {error}\n")
            return 1
        return 0
    sh.ctx.out(result)
    return 0


def _bre(pattern: str) -> str:
    """A POSIX basic regular expression as Python's: ``\\(`` ``\\)`` ``\\{`` group; bare ones are literal."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(nxt if nxt in "(){}|+?" else "\\" + nxt)
            i += 2
            continue
        out.append("\\" + ch if ch in "(){}|+?" else ch)
        i += 1
    return "".join(out)


def _awk(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """``awk '{print $2}'``, ``awk -F: '{print $1, $3}'``, ``awk '/re/ {print}'``, ``awk 'NR==2'``."""
    sep, rest = None, list(args)
    if rest and rest[0].startswith("-F"):
        sep = rest[0][2:] or (rest[1] if len(rest) > 1 else " ")
        rest = rest[1:] if rest[0][2:] else rest[2:]
    if not rest:
        return 1
    program, files = rest[0], rest[1:]
    text = _input(sh, files, stdin, "awk")
    if text is None:
        return 2
    m = re.fullmatch(r"\s*(/[^/]*/|NR\s*==\s*\d+)?\s*(?:\{\s*print\s*([^}]*)\})?\s*", program)
    if not m:
        sh.ctx.err(f"awk: cmd. line:1: unsupported program {program}\n")
        return 2
    cond, what = m.group(1), (m.group(2) or "").strip()
    out = []
    for nr, line in enumerate(text.splitlines(), 1):
        fields = line.split(sep) if sep not in (None, " ") else line.split()
        if cond and cond.startswith("/") and not re.search(cond[1:-1], line):
            continue
        if cond and cond.startswith("NR") and nr != int(cond.split("==")[1]):
            continue
        if not what or what == "$0":
            out.append(line)
            continue
        values = []
        for item in re.split(r"\s*,\s*", what):
            fm = re.fullmatch(r"\$(\d+|NF)", item)
            if fm:
                k = len(fields) if fm.group(1) == "NF" else int(fm.group(1))
                values.append(line if k == 0 else (fields[k - 1] if 0 < k <= len(fields) else ""))
            elif item == "NF":
                values.append(str(len(fields)))
            elif item == "NR":
                values.append(str(nr))
            else:
                values.append(item.strip('"'))
        out.append(" ".join(values))
    sh.ctx.out("".join(ln + "\n" for ln in out))
    return 0


def _uniq(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    text = _input(sh, [a for a in args if not a.startswith("-")], stdin, "uniq")
    if text is None:
        return 1
    groups: list[list] = []
    for line in text.splitlines():
        if groups and groups[-1][0] == line:
            groups[-1][1] += 1
        else:
            groups.append([line, 1])
    count = "-c" in args
    sh.ctx.out("".join((f"{n:7d} {ln}\n" if count else f"{ln}\n") for ln, n in groups))
    return 0


def _rev(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    text = _input(sh, args, stdin, "rev")
    if text is None:
        return 1
    sh.ctx.out("".join(ln[::-1] + "\n" for ln in text.splitlines()))
    return 0


def _tee(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    append = "-a" in args
    text = stdin or ""
    for name in (a for a in args if not a.startswith("-")):
        error = sh.ctx.fs_write(SimFS.norm(name, sh.ctx.cwd), text, append)
        if error:
            sh.ctx.err(f"tee: {error}\n")
    sh.ctx.out(text)
    return 0


def _basename(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    if not args:
        return 1
    name = posixpath.basename(args[0].rstrip("/")) or "/"
    if len(args) > 1 and name.endswith(args[1]) and name != args[1]:
        name = name[: -len(args[1])]
    sh.ctx.out(name + "\n")
    return 0


def _dirname(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    if not args:
        return 1
    sh.ctx.out((posixpath.dirname(args[0].rstrip("/")) or ".") + "\n")
    return 0


def _expr(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """``expr 3 + 4``: prints the value; exit 1 when it is 0 or empty (busybox)."""
    if len(args) == 3 and args[1] in ("+", "-", "*", "/", "%", "<", ">", "=", "!=", "<=", ">="):
        try:
            a, b = int(args[0]), int(args[2])
        except ValueError:
            sh.ctx.err("expr: non-numeric argument\n")
            return 2
        if args[1] in ("/", "%") and b == 0:
            sh.ctx.err("expr: division by zero\n")
            return 2
        ops = {"+": a + b, "-": a - b, "*": a * b, "/": int(a / b) if b else 0, "%": a % b if b else 0,
               "<": int(a < b), ">": int(a > b), "=": int(a == b), "!=": int(a != b), "<=": int(a <= b),
               ">=": int(a >= b)}  # fmt: skip
        value = str(ops[args[1]])
    elif len(args) == 1:
        value = args[0]
    else:
        sh.ctx.err("expr: syntax error\n")
        return 2
    sh.ctx.out(value + "\n")
    return 1 if value in ("0", "") else 0


def _read(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """``read [-r] a b``: the next line of the shell's input (what a pipe feeds a ``while read`` loop)."""
    names = [a for a in args if not a.startswith("-")] or ["REPLY"]
    if stdin is not None:
        sh.stdin_buf = stdin
    buf = sh.stdin_buf or ""
    if not buf:
        return 1
    line, nl, sh.stdin_buf = buf.partition("\n")
    if "-r" not in args:
        line = line.replace("\\", "")
    words = line.split(None, len(names) - 1)
    for i, name in enumerate(names):
        sh.ctx.env[name] = words[i] if i < len(words) else ""
    return 0


def _mv(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    names = [a for a in args if not a.startswith("-")]
    if len(names) != 2:
        return 1
    text = sh.ctx.fs.read(SimFS.norm(names[0], sh.ctx.cwd))
    if text is None:
        sh.ctx.err(f"mv: can't rename '{names[0]}': No such file or directory\n")
        return 1
    dest = SimFS.norm(names[1], sh.ctx.cwd)
    if sh.ctx.fs.is_dir(dest):
        dest = dest.rstrip("/") + "/" + names[0].rsplit("/", 1)[-1]
    if sh.ctx.fs_write(dest, text, False):
        return 1
    sh.ctx.fs_remove(SimFS.norm(names[0], sh.ctx.cwd))
    return 0


def ls_long(sh: Interpreter, names: list[str], show_all: bool) -> int:
    """``ls -l``: busybox's columns; owner root, the time the command runs (the sim keeps no mtimes)."""
    stamp = time.strftime("%b %e %H:%M", time.gmtime(sh.ctx.now()))
    status = 0

    def row(path: str, name: str) -> str:
        if sh.ctx.fs.is_dir(path):
            mode = "drwxrwxrwt" if path == "/tmp" else "drwxr-xr-x"  # /tmp is sticky and world-writable
            return f"{mode}    2 root     root          4096 {stamp} {name}\n"
        size = len((sh.ctx.fs.read(path) or "").encode())
        return f"-rw-r--r--    1 root     root     {size:9d} {stamp} {name}\n"

    for name in names:
        path = SimFS.norm(name, sh.ctx.cwd)
        entries = sh.ctx.fs.listdir(path)
        if entries is None:
            if sh.ctx.fs.read(path) is None:
                sh.ctx.err(f"ls: {name}: No such file or directory\n")
                status = 1
            else:
                sh.ctx.out(row(path, name))
            continue
        if len(names) > 1:
            sh.ctx.out(f"{name}:\n")
        shown = ([".", ".."] if show_all else []) + [e for e in entries if show_all or not e.startswith(".")]
        where = {".": path, "..": posixpath.dirname(path.rstrip("/")) or "/"}
        rows = [row(where.get(e) or posixpath.join(path, e), e) for e in shown]
        blocks = sum(4 * (1 + len(r.split()[4]) // 4097) for r in rows)
        sh.ctx.out(f"total {blocks}\n" + "".join(rows))
    return status


def _base64(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """``echo -n secret | base64`` (76 columns), ``base64 -d``: what a Secret's data is."""
    files = [a for a in args if not a.startswith("-")]
    text = _input(sh, files, stdin, "base64")
    if text is None:
        return 1
    if "-d" in args:
        data = re.sub(r"[^A-Za-z0-9+/=]", "", text)  # busybox skips what is not base64
        try:
            if len(data) % 4:
                raise ValueError(data)
            sh.ctx.out(base64.b64decode(data).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            sh.ctx.err("base64: truncated input\n")
            return 1
        return 0
    encoded = base64.b64encode(text.encode()).decode()
    sh.ctx.out("".join(encoded[k : k + 76] + "\n" for k in range(0, len(encoded), 76)))
    return 0


def _digest(algorithm: str) -> Command:
    def run(sh: Interpreter, args: list[str], stdin: str | None) -> int:
        status = 0
        for name in [a for a in args if not a.startswith("-")] or ["-"]:
            text = _input(sh, [name] if name != "-" else [], stdin, f"{algorithm}sum")
            if text is None:
                status = 1
                continue
            sh.ctx.out(f"{hashlib.new(algorithm, text.encode()).hexdigest()}  {name}\n")
        return status

    return run


def _tac(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    text = _input(sh, args, stdin, "tac")
    if text is None:
        return 1
    sh.ctx.out("".join(ln + "\n" for ln in reversed(text.splitlines())))
    return 0


def _which(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    from k8sedu.runtime.simshell import BUSYBOX_APPLETS

    status = 0
    for name in args:
        if name in BUSYBOX_APPLETS:
            sh.ctx.out(f"/bin/{name}\n")
        else:
            status = 1
    return status


TEXT_COMMANDS: dict[str, Command] = {
    "wc": _wc, "head": _head, "tr": _tr, "cut": _cut, "sed": _sed, "awk": _awk, "uniq": _uniq,
    "rev": _rev, "tee": _tee, "basename": _basename, "dirname": _dirname, "expr": _expr, "read": _read,
    "mv": _mv, "base64": _base64, "md5sum": _digest("md5"), "sha1sum": _digest("sha1"),
    "sha256sum": _digest("sha256"), "tac": _tac, "which": _which,
}  # fmt: skip
