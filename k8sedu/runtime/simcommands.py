"""The commands of the shell model (echo, cat, ls, wget, kill…): busybox's behaviour, in small.

Each command is ``fn(sh, args, stdin) -> exit status``; it writes through ``sh.ctx.out`` /
``sh.ctx.err`` and touches files through the context, so the same code serves a container's start
script (recorded on a timeline) and ``exec`` (acting on the live container). Messages are busybox's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from k8sedu.runtime.simfs import SimFS
from k8sedu.runtime.simprogram import SIGNALS, ShellExit, sleep_seconds
from k8sedu.runtime.simtext import TEXT_COMMANDS, ls_long

if TYPE_CHECKING:
    from k8sedu.runtime.simshell import Interpreter

__all__ = ["COMMANDS"]


def _echo(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = escapes or "e" in args[0]
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text = text.replace("\\n", "\n").replace("\\t", "\t")
    sh.ctx.out(text + ("\n" if newline else ""))
    return 0


def _printf(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    if not args:
        return 1
    fmt, values = args[0], list(args[1:])
    fmt = fmt.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
    used = 0

    def one(m: re.Match[str]) -> str:
        nonlocal used
        spec = m.group(0)
        if spec == "%%":
            return "%"
        used += 1
        value = values.pop(0) if values else ""
        if spec[-1] in "di":
            try:
                return ("%" + spec[1:-1] + "d") % int(value or 0)
            except ValueError:
                sh.ctx.err(f"printf: invalid number '{value}'\n")
                return "0"
        return ("%" + spec[1:-1] + "s") % value

    text = re.sub(r"%%|%[-0-9.]*[sdi]", one, fmt)
    while values and used:  # the format is used again for the arguments left (printf '%s\n' a b c)
        text += re.sub(r"%%|%[-0-9.]*[sdi]", one, fmt)
    sh.ctx.out(text)
    return 0


def _cat(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    files = [a for a in args if not a.startswith("-") or a == "-"]
    if not files:
        sh.ctx.out(stdin or "")
        return 0
    status = 0
    for name in files:
        path = SimFS.norm(name, sh.ctx.cwd)
        text = sh.ctx.fs.read(path)
        if text is None:
            what = "Is a directory" if sh.ctx.fs.is_dir(path) else "No such file or directory"
            sh.ctx.err(f"cat: can't open '{name}': {what}\n" if what != "Is a directory" else f"cat: read error: {what}\n")
            status = 1
        else:
            sh.ctx.out(text)
    return status


def _ls(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    paths = [a for a in args if not a.startswith("-")] or ["."]
    opts = "".join(a[1:] for a in args if a.startswith("-"))
    if "l" in opts:
        return ls_long(sh, paths, "a" in opts)
    status = 0
    for name in paths:
        path = SimFS.norm(name, sh.ctx.cwd)
        entries = sh.ctx.fs.listdir(path)
        if entries is None:
            if sh.ctx.fs.read(path) is not None:
                sh.ctx.out(name + "\n")
            else:
                sh.ctx.err(f"ls: {name}: No such file or directory\n")
                status = 1
            continue
        if len(paths) > 1:
            sh.ctx.out(f"{name}:\n")
        shown = [".", "..", *entries] if "a" in opts else [e for e in entries if not e.startswith(".")]
        sh.ctx.out("".join(e + "\n" for e in shown))
    return status


def _env(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    sh.ctx.out("".join(f"{k}={v}\n" for k, v in sh.ctx.env.items()))
    return 0


def _printenv(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    if not args:
        return _env(sh, args, stdin)
    missing = 0
    for name in args:
        if name in sh.ctx.env:
            sh.ctx.out(sh.ctx.env[name] + "\n")
        else:
            missing = 1
    return missing


def _date(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """busybox ``date`` in a UTC container: ``Thu Jan  1 00:00:00 UTC 1970``, ``date +%s``, ``date -I``."""
    now = sh.ctx.now()
    fmt = "%a %b %e %H:%M:%S UTC %Y"
    for a in args:
        if a.startswith("+"):
            fmt = a[1:]
        elif a in ("-I", "--iso-8601"):
            fmt = "%Y-%m-%d"
        elif a == "-R":
            fmt = "%a, %d %b %Y %H:%M:%S +0000"
        elif a != "-u":
            sh.ctx.err(f"date: invalid date '{a}'\n")
            return 1
    fmt = fmt.replace("%s", str(int(now))).replace("%N", f"{int((now % 1) * 1e9):09d}").replace("%Z", "UTC")
    sh.ctx.out(time.strftime(fmt, time.gmtime(now)) + "\n")
    return 0


def _sleep(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    try:
        sh.ctx.sleep(sleep_seconds(args))
    except ValueError:
        sh.ctx.err(f"sleep: invalid number '{args[0] if args else ''}'\n")
        return 1
    return 0


def _touch(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    status = 0
    for name in (a for a in args if not a.startswith("-")):
        path = SimFS.norm(name, sh.ctx.cwd)
        if sh.ctx.fs.read(path) is None and not sh.ctx.fs.is_dir(path):
            error = sh.ctx.fs_write(path, "", False)
            if error:
                sh.ctx.err(f"touch: {name}: No such file or directory\n")
                status = 1
    return status


def _mkdir(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    for name in (a for a in args if not a.startswith("-")):
        sh.ctx.fs_mkdir(SimFS.norm(name, sh.ctx.cwd))
    return 0


def _rm(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    force = any(a.startswith("-") and "f" in a for a in args)
    status = 0
    for name in (a for a in args if not a.startswith("-")):
        if not sh.ctx.fs_remove(SimFS.norm(name, sh.ctx.cwd)) and not force:
            sh.ctx.err(f"rm: can't remove '{name}': No such file or directory\n")
            status = 1
    return status


def _cp(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    names = [a for a in args if not a.startswith("-")]
    if len(names) != 2:
        return 1
    text = sh.ctx.fs.read(SimFS.norm(names[0], sh.ctx.cwd))
    if text is None:
        sh.ctx.err(f"cp: can't stat '{names[0]}': No such file or directory\n")
        return 1
    dest = SimFS.norm(names[1], sh.ctx.cwd)
    if sh.ctx.fs.is_dir(dest):
        dest = dest.rstrip("/") + "/" + names[0].rsplit("/", 1)[-1]
    return 1 if sh.ctx.fs_write(dest, text, False) else 0


def _test(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    if args and args[-1] in ("]", "]]"):
        args = args[:-1]
    for joiner in ("-o", "-a"):  # `test A -a B -o C`: -a binds tighter than -o
        if joiner in args[1:-1] and len(args) > 3:
            k = args.index(joiner, 1)
            left, right = _test(sh, args[:k], stdin), _test(sh, args[k + 1 :], stdin)
            if 2 in (left, right):
                return 2
            return 0 if (left == 0 or right == 0 if joiner == "-o" else left == 0 and right == 0) else 1
    negate = False
    if args and args[0] == "!":
        negate, args = True, args[1:]
    fs, cwd = sh.ctx.fs, sh.ctx.cwd
    ok = False
    if len(args) == 1:
        ok = args[0] != ""
    elif len(args) == 2:
        op, a = args
        ok = {
            "-f": lambda: fs.read(SimFS.norm(a, cwd)) is not None,
            "-e": lambda: fs.exists(SimFS.norm(a, cwd)),
            "-d": lambda: fs.is_dir(SimFS.norm(a, cwd)),
            "-s": lambda: bool(fs.read(SimFS.norm(a, cwd))),
            "-z": lambda: a == "",
            "-n": lambda: a != "",
        }.get(op, lambda: False)()
    elif len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            ok = a == b
        elif op == "!=":
            ok = a != b
        else:
            try:
                x, y = int(a), int(b)
            except ValueError:
                return 2
            ok = {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y, "-ge": x >= y}.get(op, False)
    return 0 if ok != negate else 1


def _break(kind: str) -> Callable[[Interpreter, list[str], str | None], int]:
    def run(sh: Interpreter, args: list[str], stdin: str | None) -> int:
        from k8sedu.runtime.simshell import LoopControl

        if kind == "return":  # `return [n]` leaves a function with status n
            raise LoopControl(kind, int(args[0]) & 0xFF if args and args[0].isdigit() else sh.status)
        levels = int(args[0]) if args and args[0].isdigit() and int(args[0]) > 0 else 1
        raise LoopControl(kind, levels)

    return run


def _exit(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    try:
        code = int(args[0]) & 0xFF if args else sh.status
    except ValueError:
        code = 2
    raise ShellExit(code)


def _trap(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    if len(args) >= 2:
        sh.ctx.trap(args[0], args[1:])
    return 0


def _kill(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    signal = "TERM"
    pids = []
    for a in args:
        if a.startswith("-") and len(a) > 1:
            name = a[1:].upper().removeprefix("SIG")
            if name == "S":
                continue
            signal = next((k for k, v in SIGNALS.items() if str(v) == name), name)
        else:
            pids.append(a)
    status = 0
    for pid in pids:
        error = sh.ctx.kill(signal, pid)
        if error:
            sh.ctx.err(error + "\n")
            status = 1
    return status


def _wget(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    quiet, spider, output, timeout, url = False, False, None, 10.0, ""
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-O", "-T") and i + 1 < len(args):
            if a == "-O":
                output = args[i + 1]
            else:
                timeout = float(args[i + 1])
            i += 2
            continue
        if a.startswith("-O") and len(a) > 2:
            output = a[2:]
        elif a.startswith("-") and not a.startswith("--") and len(a) > 1:
            flags, _, after = a[1:].partition("O")  # "-qO-", "-qO file", "-q"
            quiet = quiet or "q" in flags
            if "O" in a[1:]:
                if after:
                    output = after
                else:
                    output = args[i + 1] if i + 1 < len(args) else "-"
                    i += 1
        elif a == "--spider":
            spider = True
        elif a.startswith("--timeout="):
            timeout = float(a.split("=", 1)[1])
        elif not a.startswith("-"):
            url = a
        i += 1
    to_stdout = output == "-"
    if not url:
        sh.ctx.err("BusyBox v1.35.0 multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] URL\n")
        return 1
    if "://" not in url:
        url = "http://" + url
    host = url.split("://", 1)[1].split("/", 1)[0]
    if not quiet:
        sh.ctx.err(f"Connecting to {host} ({host})\n")
    status, body, error = sh.ctx.wget(url, timeout)
    if status != 0:
        sh.ctx.err(error + "\n")
        return 1
    if spider:
        return 0
    if to_stdout:
        sh.ctx.out(body)
    else:
        name = output or (url.rstrip("/").rsplit("/", 1)[-1] if url.count("/") > 2 else "index.html") or "index.html"
        if "://" in name or not name:
            name = "index.html"
        sh.ctx.fs_write(SimFS.norm(name, sh.ctx.cwd), body, False)
        if not quiet:
            sh.ctx.err(f"saving to '{name}'\n'{name}' saved\n")
    return 0


_DNS_TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "TXT": 16, "AAAA": 28, "SRV": 33, "ANY": 255}


def _nslookup(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """busybox 1.35's nslookup: one query per search domain (only for a name without dots) and per
    type (A then AAAA unless ``-type=``), each answer printed as it reads, every NXDOMAIN said."""
    types, words = [1, 28], []
    for a in args:
        if a.startswith(("-type=", "-query=", "-q=")):
            t = _DNS_TYPES.get(a.split("=", 1)[1].upper())
            if t is None:
                sh.ctx.err(f"nslookup: invalid query type \"{a.split('=', 1)[1]}\"\n")
                return 1
            types = [t]
        elif not a.startswith("-"):
            words.append(a)
    if not words:
        sh.ctx.err("BusyBox v1.35.0 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n")
        return 1
    name = words[0].rstrip(".")
    search = []
    for line in (sh.ctx.fs.read("/etc/resolv.conf") or "").splitlines():
        if line.split()[:1] == ["search"]:
            search = line.split()[1:]
    names = [f"{name}.{d}" for d in search] if "." not in words[0] and search else [name]
    first = sh.ctx.dns_query(names[0], types[0])
    if first is None:
        return 0  # no cluster DNS to ask (a start script's lookups are not modelled): they succeed
    server = words[1] if len(words) > 1 else first[0]
    sh.ctx.out(f"Server:\t\t{server}\nAddress:\t{server}:53\n\n")
    status = 0
    for qtype in types:
        for n in names:
            got = sh.ctx.dns_query(n, qtype)
            if got is None:
                continue
            _, rcode, records = got
            if rcode == 3:
                sh.ctx.out(f"** server can't find {n}: NXDOMAIN\n\n")
                status = 1
                continue
            for rname, rtype, data in records:
                if rtype in (1, 28):
                    sh.ctx.out(f"Name:\t{rname}\nAddress: {data}\n")
                elif rtype == 5:
                    sh.ctx.out(f"{rname}\tcanonical name = {data}\n")
                elif rtype == 33:
                    sh.ctx.out(f"{rname}\tservice = {data[0]} {data[1]} {data[2]} {data[3]}\n")
                elif rtype == 12:
                    sh.ctx.out(f"{rname}\tname = {data}\n")
                elif rtype == 2:
                    sh.ctx.out(f"{rname}\tnameserver = {data}\n")
            sh.ctx.out("\n")
    return status


def _grep(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    opts = [a for a in args if a.startswith("-")]
    rest = [a for a in args if not a.startswith("-")]
    if not rest:
        return 2
    pattern, files = rest[0], rest[1:]
    text = stdin or ""
    if files:
        text = "".join(sh.ctx.fs.read(SimFS.norm(f, sh.ctx.cwd)) or "" for f in files)
    flags = re.I if any("i" in o for o in opts) else 0
    invert = any("v" in o for o in opts)
    try:
        rx = re.compile(pattern, flags)
    except re.error:
        rx = re.compile(re.escape(pattern), flags)
    numbered = [(n, ln) for n, ln in enumerate(text.splitlines(), 1) if bool(rx.search(ln)) != invert]
    lines = [f"{n}:{ln}" if any("n" in o for o in opts) else ln for n, ln in numbered]
    if any("c" in o for o in opts):
        sh.ctx.out(f"{len(lines)}\n")
    elif not any("q" in o for o in opts):
        sh.ctx.out("".join(ln + "\n" for ln in lines))
    return 0 if lines else 1


def _lines_of(sh: Interpreter, args: list[str], stdin: str | None) -> list[str]:
    files = [a for a in args if not a.startswith("-") and not a.isdigit()]
    if files:
        return "".join(sh.ctx.fs.read(SimFS.norm(f, sh.ctx.cwd)) or "" for f in files).splitlines()
    return (stdin or "").splitlines()


def _count(args: list[str], default: int = 10) -> int:
    for i, a in enumerate(args):
        if a == "-n" and i + 1 < len(args):
            return int(args[i + 1].lstrip("+"))
        if re.fullmatch(r"-n?\d+", a):
            return int(a.lstrip("-n"))
    return default


def _tail(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    if any(a in ("-f", "-F") for a in args):
        sh.ctx.sleep(None)  # tail -f never ends
    n = _count(args)
    lines = _lines_of(sh, [a for a in args if a != "-n"], stdin)
    sh.ctx.out("".join(ln + "\n" for ln in lines[-n:] if n))
    return 0


def _sort(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    opts = "".join(a[1:] for a in args if a.startswith("-"))
    lines = _lines_of(sh, args, stdin)
    if "u" in opts:
        lines = list(dict.fromkeys(lines))

    def number(line: str) -> tuple[float, str]:
        m = re.match(r"\s*(-?\d+(?:\.\d+)?)", line)
        return (float(m.group(1)) if m else 0.0, line)

    lines = sorted(lines, key=number if "n" in opts else None, reverse="r" in opts)
    sh.ctx.out("".join(ln + "\n" for ln in lines))
    return 0


def _seq(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    try:
        nums = [int(a) for a in args]
    except ValueError:
        return 1
    first, step, last = (1, 1, nums[0]) if len(nums) == 1 else (nums[0], 1, nums[1]) if len(nums) == 2 else nums[:3]
    sh.ctx.out("".join(f"{i}\n" for i in range(first, last + (1 if step > 0 else -1), step or 1)))
    return 0


def _const(text: str) -> Callable[[Interpreter, list[str], str | None], int]:
    def run(sh: Interpreter, args: list[str], stdin: str | None) -> int:
        sh.ctx.out(text)
        return 0

    return run


def _hostname(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    if "-i" in args:  # the addresses /etc/hosts gives the hostname: the Pod IP
        hosts = sh.ctx.fs.read("/etc/hosts") or ""
        addrs = [ln.split()[0] for ln in hosts.splitlines() if sh.ctx.hostname in ln.split()[1:]]
        if not addrs:
            sh.ctx.err(f"hostname: {sh.ctx.hostname}: Unknown host\n")
            return 1
        sh.ctx.out(" ".join(addrs) + "\n")
        return 0
    sh.ctx.out(sh.ctx.hostname + "\n")
    return 0


def _pwd(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    sh.ctx.out(sh.ctx.cwd + "\n")
    return 0


def _cd(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    path = SimFS.norm(args[0] if args else "/root", sh.ctx.cwd)
    if not sh.ctx.fs.is_dir(path):
        sh.ctx.err(f"sh: cd: line 0: can't cd to {args[0] if args else path}: No such file or directory\n")
        return 2
    sh.ctx.cwd = path
    return 0


def _export(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    for a in args:
        if "=" in a:
            k, _, v = a.partition("=")
            sh.ctx.env[k] = v
    return 0


def _set(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """``set -e`` / ``set +e`` / ``set -o errexit`` (other options are accepted and ignored)."""
    for k, a in enumerate(args):
        if a[:1] in "-+" and "e" in a[1:] and a[1:2] != "o":
            sh.errexit = a[0] == "-"
        elif a in ("-o", "+o") and args[k + 1 : k + 2] == ["errexit"]:
            sh.errexit = a == "-o"
    return 0


def _unset(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    for a in args:
        sh.ctx.env.pop(a, None)
    return 0


def _ps(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    cmd = " ".join(sh.ctx.argv) or "sh"
    sh.ctx.out(f"PID   USER     COMMAND\n    1 root     {cmd}\n")
    return 0


def _uname(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    sh.ctx.out(f"Linux {sh.ctx.hostname} 6.1.0 #1 SMP x86_64 GNU/Linux\n" if "-a" in args else "Linux\n")
    return 0


def _noop(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    return 0


def _wait(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    sh.ctx.wait()
    return 0


def _sh(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    if len(args) >= 2 and args[0] == "-c":
        return sh.run_script(args[1])
    return 0


def _busy(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """``yes > /dev/null`` in the foreground: burns a CPU and never ends."""
    sh.ctx.endless(0, [], True)
    return 0


def _stop_jobs(sh: Interpreter, args: list[str], complain: bool) -> int:
    status = 0
    for name in [a for a in args if not a.startswith("-")]:
        if not sh.ctx.stop_jobs(name):
            if complain:
                sh.ctx.err(f"killall: {name}: no process killed\n")
            status = 1
    return status


def _killall(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """``killall yes``: stops the background busy jobs of that name (busybox's words)."""
    return _stop_jobs(sh, args, True)


def _pkill(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    """``pkill yes``: the same, silent when nothing matched (exit 1)."""
    return _stop_jobs(sh, args, False)


def _forever(sh: Interpreter, args: list[str], stdin: str | None) -> int:
    sh.ctx.sleep(None)
    return 0


COMMANDS: dict[str, Callable[[Interpreter, list[str], str | None], int]] = {
    "echo": _echo, "printf": _printf, "cat": _cat, "ls": _ls, "env": _env, "printenv": _printenv,
    "date": _date, "sleep": _sleep, "touch": _touch, "mkdir": _mkdir, "rm": _rm, "cp": _cp,
    "test": _test, "[": _test, "[[": _test, "true": _noop, ":": _noop, "false": lambda sh, a, s: 1,
    "exit": _exit, "trap": _trap, "kill": _kill, "wget": _wget, "grep": _grep,
    "tail": _tail, "sort": _sort, "seq": _seq, "hostname": _hostname, "pwd": _pwd,
    "cd": _cd, "export": _export, "unset": _unset, "set": _set, "ps": _ps, "uname": _uname,
    "id": _const("uid=0(root) gid=0(root) groups=0(root)\n"), "whoami": _const("root\n"),
    "wait": _wait, "sync": _noop, "chmod": _noop, "chown": _noop, "ln": _noop, "nslookup": _nslookup,
    "yes": _busy, "dd": _busy, "killall": _killall, "pkill": _pkill,
    "httpd": _forever, "nc": _forever, "top": _forever, "watch": _forever, "sh": _sh,
    **TEXT_COMMANDS, "nproc": _const("2\n"), "break": _break("break"), "continue": _break("continue"),
    "return": _break("return"),
}  # fmt: skip
