"""A tiny model of busybox ``sh``, for the simulated runtime. Honest about being small.

The simulated runtime runs no processes. To know what a container *would* do, it reads its command
the way busybox ``sh`` would and turns it into a timeline on the cluster clock::

    sh -c 'echo start; touch /tmp/healthy; sleep 30; rm /tmp/healthy; sleep 600'

    t=0     stdout "start"        t=0  write /tmp/healthy        t=30  rm /tmp/healthy
    t=630   exit 0 ("Completed")

What is modelled: ``;`` ``&&`` ``||`` ``&`` ``|``, newlines, quotes, ``$VAR`` ``${VAR:-x}`` ``${VAR:+x}``
``$?`` ``$(cmd)`` ``$((i+1))``, redirections (``>``, ``>>``, ``2>&1``, ``< file``, ``done < file``,
``<<EOF`` here-documents), ``while``/``until``/``for``/``if``/``case``, ``break``/``continue``,
functions (``f() { …; }``, ``$1``, ``return``), ``( … )`` and ``{ …; }``, ``set -e``, ``read``
(``seq 3 | while read i``), ``trap``, ``wait``, ``exit``, and the commands echo, printf, cat,
ls (``-l``, ``-a``), hostname (``-i``), env, printenv, date (``+FORMAT``), sleep, touch, mkdir, rm, cp,
mv, test/[, true/false, kill, wget, ps, id, whoami, uname, pwd, cd, grep, wc, head, tail, sort, seq,
sed, tr, cut, awk, uniq, rev, tac, tee, basename, dirname, expr, base64, md5sum/sha256sum, which,
export (:mod:`k8sedu.runtime.simtext` holds the text tools). A name busybox does not have is
``sh: x: not found`` (127), as in the ``k8sedu/busybox`` image.

``while true; do …; sleep N; done`` becomes a round repeated every N seconds. When rounds differ (a
counter, ``date``, a file that grows) each round is worked out in turn when the clock reaches it, so
``date >> /cache/log.txt`` appends one line per round with that moment's cluster time, and an ``exit``
in a later round ends the container. ``date`` prints the cluster clock. A ``TERM`` trap runs as busybox
runs it: when the foreground command ends (after the ``sleep 1`` of a loop, never during
``sleep 3600``, at once in ``wait``). A string that doubles itself (``x=$x$x``) or
``K8SEDU_SIM_MEMORY=<bytes>`` in the environment uses memory.

What is not: real processes, pipes between long-running commands, ``set -x``, most options. A
program given as the container's command itself (not through ``sh -c``) that it does not know, or a
busybox applet it does not model, is taken to run forever (it is probably a server); in ``exec`` an
unknown program fails with a message saying the simulated runtime does not model it. A loop that
sleeps and runs ``break`` after its 60th round goes quiet instead of going on with the script, and
after 20,000 rounds a loop repeats its last one (files stop growing).
"""

from __future__ import annotations

import ast
import fnmatch
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from k8sedu.runtime.simcommands import COMMANDS
from k8sedu.runtime.simfs import SimFS
from k8sedu.runtime.simprogram import (
    FAST_LOOP_PERIOD,
    MIN_RUN,
    Event,
    Forever,
    Loop,
    OutOfMemory,
    Program,
    ShellExit,
    parse_bytes,
    sleep_seconds,
)

__all__ = [
    "ShellContext",
    "TimelineContext",
    "Interpreter",
    "ParseError",
    "split_statements",
    "parse",
    "model_program",
]

BUSY_COMMANDS = ("yes", "dd")  # commands that burn a whole CPU until killed (`yes > /dev/null`)
# Programs of other images a lesson may run (`images=[...]`): taken to be servers that run until stopped.
SERVERS = ("nginx", "python", "python3", "node", "redis-server", "java", "php", "ruby", "perl", "mysqld",
           "postgres", "httpd", "caddy", "envoy", "etcd", "agnhost", "pause")  # fmt: skip
# busybox 1.35's applets in the offline image (`busybox --list`): an unmodelled one runs until stopped,
# any other name is "not found".
BUSYBOX_APPLETS = frozenset("""
acpid adjtimex ar arch arp arping ascii ash awk base64 basename bc blkdiscard blockdev brctl bunzip2 busybox
bzcat bzip2 cal cat chgrp chmod chown chroot chvt clear cmp cp cpio crc32 crond crontab cttyhack cut date dc
dd deallocvt depmod devmem df diff dirname dmesg dnsdomainname dos2unix dpkg dpkg-deb du dumpkmap dumpleases
echo ed egrep env expand expr factor fallocate false fatattr fdisk fgrep find findfs fold free freeramdisk
fsfreeze fstrim ftpget ftpput getopt getty grep groups gunzip gzip halt head hexdump hostid hostname httpd
hwclock i2cdetect i2cdump i2cget i2cset i2ctransfer id ifconfig ifdown ifup init insmod ionice ip ipcalc
ipneigh kill killall klogd last less link linux32 linux64 linuxrc ln loadfont loadkmap logger login logname
logread losetup ls lsmod lsscsi lzcat lzma lzop md5sum mdev microcom mim mkdir mkdosfs mke2fs mkfifo mknod
mkpasswd mkswap mktemp modinfo modprobe more mount mt mv nameif nc netstat nl nologin nproc nsenter nslookup
nuke od openvt partprobe passwd paste patch pidof ping ping6 pivot_root poweroff printf ps pwd rdate readlink
realpath reboot renice reset resume rev rm rmdir rmmod route rpm rpm2cpio run-init run-parts sed seq
setkeycodes setpriv setsid sh sha1sum sha256sum sha3sum sha512sum shred shuf sleep sort ssl_client
start-stop-daemon stat strings stty su sulogin svc svok swapoff swapon switch_root sync sysctl syslogd tac
tail tar taskset tc tee telnet telnetd test tftp time timeout top touch tr traceroute traceroute6 true
truncate ts tty tunctl ubirename udhcpc udhcpd uevent umount uname uncompress unexpand uniq unix2dos unlink
unlzma unshare unxz unzip uptime usleep uudecode uuencode vconfig vi w watch watchdog wc wget which who
whoami xargs xxd xz xzcat yes zcat
""".split())
LOOP_LIMIT = 1000  # iterations of a conditional loop before it counts as endless
EAGER_ROUNDS = 60  # rounds of an endless loop whose rounds differ that are run at once (a `break` at i=50)
MEMORY_HOG = re.compile(r"(\w+)=[\"']?\$\{?(\w+)\}?\$\{?(\w+)\}?")  # x=$x$x: doubles each round


# -- splitting a script into statements --------------------------------------------------------------


STARTS = ("", "then", "do", "else", "!")  # what may come before a `( … )` / `{ …; }` in a statement


def split_statements(script: str) -> list[tuple[str, str]]:
    """``"a; b && c &\\nd"`` -> ``[("a", ";"), ("b", "&&"), ("c", "&"), ("d", ";")]`` (quotes respected)."""
    out: list[tuple[str, str]] = []
    cur: list[str] = []
    quote, depth, i, n = "", 0, 0, len(script)
    braces = 0  # inside a `{ …; }` group

    def word_at(k: int) -> bool:
        """Is script[k] a word of its own (``{`` / ``}``), not part of ``${X}``?"""
        before = script[k - 1] if k else " "
        after = script[k + 1] if k + 1 < n else " "
        return before in " \t\n;" and after in " \t\n;&|<>)"

    def flush(op: str) -> None:
        text = "".join(cur).strip()
        cur.clear()
        if text:
            out.append((text, op))

    while i < n:
        ch = script[i]
        if quote:
            cur.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < n:
                cur.append(script[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
            cur.append(ch)
        elif ch == "\\" and i + 1 < n:
            cur.append(ch + script[i + 1])
            i += 1
        elif script.startswith("$(", i):
            depth += 1
            cur.append("$(")
            i += 1
        elif ch == "(" and not depth and not braces and "".join(cur).strip() in STARTS and script[i + 1 : i + 2] != ")":
            depth += 1
            cur.append(ch)
        elif ch == "{" and not depth and word_at(i) and (
            braces or "".join(cur).strip() in STARTS or re.fullmatch(r"\w+\s*\(\)", "".join(cur).strip())
        ):
            braces += 1
            cur.append(ch)
        elif ch == "}" and braces and not depth and word_at(i):
            braces -= 1
            cur.append(ch)
        elif braces and not depth:
            if script.startswith("$(", i):
                depth += 1
            cur.append(ch)
        elif depth and ch == "(":
            depth += 1
            cur.append(ch)
        elif depth and ch == ")":
            depth -= 1
            cur.append(ch)
        elif depth:
            cur.append(ch)
        elif ch == "#" and (not cur or cur[-1] in " \t"):
            while i < n and script[i] != "\n":
                i += 1
            continue
        elif script.startswith(";;", i):  # the end of a `case` branch
            if not "".join(cur).strip() and out:
                out[-1] = (out[-1][0], ";;")  # ";;" on a line of its own ends the branch above
            flush(";;")
            i += 1
        elif ch in ";\n":
            flush(";")
        elif ch == "&":
            if script.startswith("&&", i):
                flush("&&")
                i += 1
            elif (cur and cur[-1] in "<>") or script.startswith("&>", i):
                cur.append(ch)
            else:
                flush("&")
        elif ch == "|":
            if script.startswith("||", i):
                flush("||")
                i += 1
            else:
                flush("|")
        else:
            cur.append(ch)
        i += 1
    flush(";")
    return out


# -- a tiny AST: simple commands, loops, ifs ---------------------------------------------------------


@dataclass
class Simple:
    text: str
    op: str


@dataclass
class LoopNode:
    kind: str  # "while" | "until" | "for"
    cond: str  # the condition, or "var in items" for "for"
    body: list
    op: str
    stdin_file: str = ""  # `done < /data/list`: what `read` reads


@dataclass
class IfNode:
    branches: list  # [(condition text, body)]
    orelse: list
    op: str


@dataclass
class CaseNode:
    word: str
    branches: list  # [(patterns, body)]
    op: str


class ParseError(Exception):
    pass


class LoopControl(Exception):
    """``break [n]`` / ``continue [n]``: leaves the innermost *n* loops (or goes on with the n-th)."""

    def __init__(self, kind: str, levels: int) -> None:
        super().__init__(kind)
        self.kind, self.levels = kind, levels


def _first(text: str) -> tuple[str, str]:
    parts = text.split(None, 1)
    return (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")


HEREDOC = re.compile(r"<<(-?)[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")


def _heredocs(script: str) -> str:
    """``cat <<EOF … EOF`` -> ``cat <<< "…"``: the body becomes one quoted word (no expansion with
    ``<<'EOF'``), which the interpreter feeds to the command's stdin."""
    lines, out, i = script.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        i += 1
        pieces: list[tuple[re.Match[str], str]] = []
        for m in HEREDOC.finditer(line):
            body: list[str] = []
            while i < len(lines):
                text = lines[i].lstrip("\t") if m.group(1) else lines[i]
                i += 1
                if text == m.group(3):
                    break
                body.append(text)
            doc = "".join(b + "\n" for b in body)
            quoted = "'" + doc.replace("'", "'\\''") + "'" if m.group(2) else '"' + doc.replace('"', '\\"') + '"'
            pieces.append((m, quoted))
        for m, quoted in reversed(pieces):
            line = line[: m.start()] + "<<<" + quoted + line[m.end() :]
        out.append(line)
    return "\n".join(out)


def parse(script: str) -> list:
    if "<<" in script:
        script = _heredocs(script)
    stmts = split_statements(script)
    nodes, i, _ = _block(stmts, 0, ())
    return nodes


def _block(stmts: list[tuple[str, str]], i: int, stop: tuple[str, ...]) -> tuple[list, int, str]:
    nodes: list = []
    while i < len(stmts):
        text, op = stmts[i]
        word, rest = _first(text)
        if word in stop:
            if rest:  # "do echo hi": the keyword opens the block, the rest is its first statement
                stmts[i] = (rest, op)
            else:
                i += 1
            return nodes, i, word
        if word in ("while", "until", "for"):
            i += 1
            body_start = i
            if i < len(stmts) and _first(stmts[i][0])[0] != "do":
                raise ParseError(f"{word}: missing 'do'")
            body, i, _ = _block(stmts, body_start, ("do",))  # consumes "do"
            body, i, end = _block(stmts, i, ("done",))
            if end != "done":
                raise ParseError(f"{word}: missing 'done'")
            after = stmts[i][0] if i < len(stmts) else ""
            if after.startswith("<") and not after.startswith("<<"):  # "done < file" was left as "< file"
                nodes.append(LoopNode(word, rest, body, stmts[i][1], after[1:].strip().strip("\"'")))
                i += 1
                continue
            nodes.append(LoopNode(word, rest, body, stmts[i - 1][1] if i else ";"))
            continue
        if word == "case":
            node, i = _case(stmts, i)
            nodes.append(node)
            continue
        if word == "if":
            branches: list = []
            orelse: list = []
            cond = rest
            i += 1
            while True:
                _, i, kw = _block(stmts, i, ("then",))
                body, i, kw = _block(stmts, i, ("elif", "else", "fi"))
                branches.append((cond, body))
                if kw == "elif":  # "elif cond" was rewritten to "cond": it is the next condition
                    cond = stmts[i][0] if i < len(stmts) else "false"
                    i += 1
                    continue
                if kw == "else":
                    orelse, i, kw = _block(stmts, i, ("fi",))
                break
            nodes.append(IfNode(branches, orelse, stmts[i - 1][1] if i else ";"))
            continue
        nodes.append(Simple(text, op))
        i += 1
    return nodes, i, ""


def _case(stmts: list[tuple[str, str]], i: int) -> tuple[CaseNode, int]:
    """``case WORD in PAT|PAT) cmds;; … esac`` from statement *i* on; returns the node and the next index."""
    m = re.fullmatch(r"case\s+(.+?)\s+in(?:\s+(.*))?", stmts[i][0], re.S)
    if not m:
        raise ParseError("case: missing 'in'")
    word, first = m.group(1), (m.group(2) or "").strip()
    pending = [(first, stmts[i][1])] if first else []
    i += 1
    branches: list = []
    current: list[tuple[str, str]] = []
    patterns: list[str] | None = None
    while True:
        if pending:
            text, op = pending.pop()
        elif i < len(stmts):
            text, op = stmts[i]
            i += 1
        else:
            raise ParseError("case: missing 'esac'")
        if patterns is None:
            while op == "|" and ")" not in text and i < len(stmts):  # "a|b)" was split as a pipe
                text, op = text + "|" + stmts[i][0], stmts[i][1]
                i += 1
            if text == "esac":
                break
            if text.startswith("esac") and text[4:5] in " \t":
                break
            pm = re.match(r"\(?\s*([^)]*?)\s*\)\s*(.*)", text, re.S)
            if not pm:
                raise ParseError(f"case: unexpected {text!r}")
            patterns = [p.strip() for p in pm.group(1).split("|")]
            text = pm.group(2).strip()
            if not text:
                if op == ";;":
                    branches.append((patterns, []))
                    patterns = None
                continue
        if text == "esac" or text.startswith("esac "):
            branches.append((patterns, _block(current, 0, ())[0]))
            break
        current.append((text, ";" if op == ";;" else op))
        if op == ";;":
            branches.append((patterns, _block(current, 0, ())[0]))
            current, patterns = [], None
    return CaseNode(word, branches, stmts[i - 1][1] if stmts[i - 1][1] != ";;" else ";"), i


# -- contexts: what the commands act on --------------------------------------------------------------


class ShellContext:
    """What commands act on. The timeline context records; the exec context (sim.py) acts."""

    hostname = ""
    argv: list[str] = []

    def __init__(self, env: dict[str, str], fs: SimFS, cwd: str = "/") -> None:
        self.env = env
        self.fs = fs
        self.cwd = cwd or "/"
        # Where output goes while a redirection (> file, 2>&1, $(...), a pipe) is in force.
        self.stdout_to: Callable[[str], None] | None = None
        self.stderr_to: Callable[[str], None] | None = None

    def out(self, text: str) -> None:
        (self.stdout_to or self.emit_out)(text)

    def err(self, text: str) -> None:
        (self.stderr_to or self.emit_err)(text)

    def emit_out(self, text: str) -> None: ...
    def emit_err(self, text: str) -> None: ...
    def sleep(self, seconds: float | None) -> None: ...
    def now(self) -> float:
        return time.time()

    def background(self, seconds: float | None) -> None: ...
    def wait(self) -> None: ...
    def trap(self, action: str, signals: list[str]) -> None: ...
    def kill(self, signal: str, pid: str) -> str | None:
        return f"kill: can't kill pid {pid}: No such process"

    def wget(self, url: str, timeout: float) -> tuple[int, str, str]:
        return 1, "", f"wget: bad address '{url}'"

    def lookup(self, host: str) -> tuple[str, str, list[str]] | None:
        """(nameserver, the name that answered, its addresses) for *host*, or None (NXDOMAIN)."""
        return None

    def dns_query(self, name: str, qtype: int) -> tuple[str, int, list[tuple[str, int, Any]]] | None:
        """(nameserver, rcode, [(name, type, data)]), or None when there is no nameserver to ask."""
        return None

    def memory_hog(self) -> None: ...
    def busy_job(self, name: str) -> None:
        """A CPU-bound command put in the background (``yes > /dev/null &``, ``while true; do :; done &``)."""

    def stop_jobs(self, name: str | None) -> int:
        """``killall name`` / ``pkill name`` (None: every job): how many stopped."""
        return 0

    def endless(self, period: float, items: list[Event], busy: bool,
                more: Callable[[int], list[Event]] | None = None,
                blocked: list[tuple[float, float | None]] | None = None) -> None:
        raise Forever()

    def unknown(self, name: str) -> int:
        raise Forever()

    def fs_write(self, path: str, text: str, append: bool) -> str | None:
        return self.fs.write(path, text, append)

    def fs_mkdir(self, path: str) -> None:
        self.fs.mkdir(path)

    def fs_remove(self, path: str) -> bool:
        return self.fs.remove(path)


class TimelineContext(ShellContext):
    """Interprets a start script once, recording what happens when (seconds after start)."""

    def __init__(self, env: dict[str, str], fs: SimFS, cwd: str, hostname: str, memory_limit: int | None,
                 start: float = 0.0) -> None:
        super().__init__(env, fs, cwd)
        self.start = start  # the cluster time the process starts at: `date` prints start + t
        self.hostname = hostname
        self.memory_limit = memory_limit
        self.t = 0.0
        self.bg_end: float | None = 0.0  # None: a background job runs forever
        self.program = Program("shell")
        self._partial = {"stdout": "", "stderr": ""}

    def _emit(self, stream: str, text: str) -> None:
        buf = self._partial[stream] + text
        *lines, self._partial[stream] = buf.split("\n")
        for line in lines:
            self.program.events.append(Event(self.t, stream, line))

    def flush(self) -> None:
        for stream, rest in self._partial.items():
            if rest:
                self.program.events.append(Event(self.t, stream, rest))
            self._partial[stream] = ""

    def emit_out(self, text: str) -> None:
        self._emit("stdout", text)

    def emit_err(self, text: str) -> None:
        self._emit("stderr", text)

    def sleep(self, seconds: float | None) -> None:
        self.program.blocked.append((self.t, None if seconds is None else self.t + seconds))
        if seconds is None:
            raise Forever()
        self.t += seconds

    def now(self) -> float:
        return self.start + self.t

    def background(self, seconds: float | None) -> None:
        if seconds is None or self.bg_end is None:
            self.bg_end = None
        else:
            self.bg_end = max(self.bg_end, self.t + seconds)

    def wait(self) -> None:
        if self.bg_end is None:
            raise Forever()
        self.t = max(self.t, self.bg_end)

    def trap(self, action: str, signals: list[str]) -> None:
        names = {s.upper().removeprefix("SIG") for s in signals}
        if not names & {"TERM", "15"}:
            return
        prog = self.program
        if not action.strip() or action.strip() == "-":
            prog.handles_term = prog.traps_term = False  # trap '' TERM: ignored until SIGKILL
            return
        m = re.search(r"\bexit\b\s*(\d+)?", action)
        prog.traps_term = True
        prog.handles_term = m is not None
        prog.term_code = int(m.group(1) or 0) if m else 0
        prog.term_output = [w.rstrip() for w in re.findall(r"echo\s+[\"']?([^;\"']*)", action)]

    def kill(self, signal: str, pid: str) -> str | None:
        return None

    def wget(self, url: str, timeout: float) -> tuple[int, str, str]:
        return 0, "", ""  # a start script's downloads are not modelled: they succeed, silently

    def busy_job(self, name: str) -> None:
        self.program.busy = True

    def memory_hog(self) -> None:
        if self.memory_limit is not None:
            self.t += 0.1
            raise OutOfMemory()
        self.program.busy = True
        raise Forever()

    def endless(self, period: float, items: list[Event], busy: bool,
                more: Callable[[int], list[Event]] | None = None,
                blocked: list[tuple[float, float | None]] | None = None) -> None:
        self.program.loops.append(Loop(self.t, max(period, FAST_LOOP_PERIOD), items, more, blocked=blocked or []))
        if busy:
            self.program.busy = True
        raise Forever()

    def unknown(self, name: str) -> int:
        self.program.blocked.append((self.t, None))  # a server in the foreground
        raise Forever()

    def fs_write(self, path: str, text: str, append: bool) -> str | None:
        error = self.fs.write(path, text, append)
        if error is None:
            self.program.events.append(Event(self.t, "write", text, SimFS.norm(path, self.cwd), append))
        return error

    def fs_mkdir(self, path: str) -> None:
        self.fs.mkdir(path)
        self.program.events.append(Event(self.t, "mkdir", path=SimFS.norm(path, self.cwd)))

    def fs_remove(self, path: str) -> bool:
        ok = self.fs.remove(path)
        if ok:
            self.program.events.append(Event(self.t, "rm", path=SimFS.norm(path, self.cwd)))
        return ok


# -- the interpreter ---------------------------------------------------------------------------------


class Interpreter:
    """Runs parsed statements against a context; ``status`` is ``$?``."""

    def __init__(self, ctx: ShellContext) -> None:
        self.ctx = ctx
        self.status = 0
        self.stdin_buf: str | None = None  # what `read` reads: the pipe into a loop (`seq 3 | while read i`)
        self.scripted = False  # running a script (`sh -c`): a name that is in no image is "not found"
        self.errexit = False  # set -e
        self.functions: dict[str, str] = {}  # name() { …; }: name -> the group
        self.positional: list[str] = []  # $1 $2 … inside a function
        self.testing = 0  # inside an if/while condition or after `!`, where set -e does not apply

    # -- running --------------------------------------------------------------------------------------
    def run_script(self, script: str) -> int:
        self.scripted = True
        try:
            self.run(parse(script))
        except LoopControl:
            pass  # break outside a loop does nothing
        return self.status

    def body(self, nodes: list) -> bool:
        """Run one round of a loop's body; False if it ran ``break``."""
        try:
            self.run(nodes)
        except LoopControl as e:
            if e.kind == "return":
                raise
            if e.levels > 1:
                e.levels -= 1
                raise
            if e.kind == "break":
                self.status = 0
                return False
        return True

    def run(self, nodes: list) -> None:
        prev_op = ";"
        pipe_input: str | None = None
        for node in nodes:
            skip = (prev_op == "&&" and self.status != 0) or (prev_op == "||" and self.status == 0)
            prev_op = node.op
            if skip:
                continue
            if isinstance(node, Simple):
                if node.op == "|":
                    text, given = node.text, pipe_input

                    def stage(text: str = text, given: str | None = given) -> None:
                        self.simple(text, stdin=given)

                    pipe_input = self._capture(stage)
                    continue
                self.simple(node.text, stdin=pipe_input, background=node.op == "&")
                pipe_input = None
                negated = node.text.lstrip().startswith("! ")
                if self.errexit and self.status and not self.testing and not negated and node.op not in ("&&", "||", "&"):
                    raise ShellExit(self.status)  # set -e: the first command that fails ends the script
            else:
                if isinstance(node, LoopNode) and node.stdin_file:
                    pipe_input = self.ctx.fs.read(SimFS.norm(self.words(node.stdin_file)[0][0], self.ctx.cwd))
                    if pipe_input is None:
                        self.ctx.err(f"sh: can't open {node.stdin_file}: no such file\n")
                        self.status = 1
                        continue
                saved, fed = self.stdin_buf, pipe_input is not None
                if fed:
                    self.stdin_buf, pipe_input = pipe_input, None
                try:
                    if isinstance(node, LoopNode):
                        self.loop(node)
                    elif isinstance(node, CaseNode):
                        self.case(node)
                    else:
                        self.if_(node)
                finally:
                    if fed:
                        self.stdin_buf = saved

    def _capture(self, fn: Callable[[], object]) -> str:
        chunks: list[str] = []
        saved = self.ctx.stdout_to
        self.ctx.stdout_to = chunks.append
        try:
            fn()
        finally:
            self.ctx.stdout_to = saved
        return "".join(chunks)

    def condition(self, text: str) -> bool:
        text = text.strip()
        if text in ("true", ":", "[ 1 ]", "[ true ]", "((1))"):
            return True
        self.testing += 1
        try:
            self.run(parse(text))
        finally:
            self.testing -= 1
        return self.status == 0

    def case(self, node: CaseNode) -> None:
        value = " ".join(self.words(node.word)[0])
        self.status = 0
        for patterns, body in node.branches:
            for pattern in patterns:
                if fnmatch.fnmatchcase(value, " ".join(self.words(pattern)[0])):
                    self.run(body)
                    return

    def if_(self, node: IfNode) -> None:
        for cond, body in node.branches:
            if self.condition(cond):
                self.run(body)
                return
        self.run(node.orelse)

    def loop(self, node: LoopNode) -> None:
        if node.kind == "for":
            var, _, rest = node.cond.partition(" in ")
            items: list[str] = []
            for word in self.words(rest)[0]:
                items.extend(word.split())
            for item in items:
                self.ctx.env[var.strip()] = item
                if not self.body(node.body):
                    return
            return
        literal = node.cond.strip() in ("true", ":", "[ 1 ]", "[ true ]")
        if node.kind == "while" and literal or node.kind == "until" and node.cond.strip() == "false":
            self._endless(node)
            return
        last = 0  # a loop's status is its body's last status (0 if the body never ran)
        for _ in range(LOOP_LIMIT):
            ok = self.condition(node.cond)
            if ok != (node.kind == "while"):
                self.status = last
                return
            if not self.body(node.body):
                return
            last = self.status
        self._endless(node)

    def _endless(self, node: LoopNode, eager: bool = True) -> None:
        """Measure one round of the body, then repeat it forever (or stop at an exit inside it)."""
        ctx = self.ctx
        if not isinstance(ctx, TimelineContext):
            if node.op == "&" and "sleep" not in repr(node.body):  # an exec'd busy loop in the background
                ctx.busy_job("sh")
                return
            for _ in range(LOOP_LIMIT):  # exec: run it (sleeps only count against the timeout) until a break
                if not self.body(node.body):
                    return
            raise Forever()
        probe = TimelineContext(dict(ctx.env), ctx.fs.overlay(), ctx.cwd, ctx.hostname, ctx.memory_limit, ctx.start)
        probe.argv = ctx.argv
        body = Interpreter(probe)
        body.status = self.status
        base = ctx.t

        def one_round(begin: float) -> list[Event]:
            """Run the body once from *begin* (cluster seconds since start): what it did, offsets in the round."""
            probe.program = Program("shell")
            probe.t = begin
            if not body.body(node.body):
                raise LoopControl("break", 1)
            probe.flush()
            return [Event(e.t - begin, e.kind, e.text, e.path, e.append) for e in probe.program.events]

        try:
            items = one_round(base)
            blocked = [(a - base, None if b is None else b - base) for a, b in probe.program.blocked]
            period, env0 = probe.t - base, dict(probe.env)
            second = one_round(base + max(period, FAST_LOOP_PERIOD))
            same = second == items and probe.t - base - max(period, FAST_LOOP_PERIOD) == period
            same = same and probe.env == env0  # a counter changes even when nothing is printed
        except (ShellExit, OutOfMemory, Forever, LoopControl):
            if self.body(node.body):  # it ends inside its first rounds: run them for real
                self.body(node.body)
            return
        if eager and not same and node.op != "&":
            # Rounds differ (a counter): run the first ones for real, so a `break` or `exit` there ends the
            # loop and the script goes on; then go on round by round from where they left off.
            for _ in range(LOOP_LIMIT if period == 0 else EAGER_ROUNDS):
                if not self.body(node.body):
                    return
            self._endless(node, eager=False)
            return
        step = max(period, FAST_LOOP_PERIOD)
        more: Callable[[int], list[Event]] | None = None
        index = len(ctx.program.loops)  # where the Loop will be
        if not same:  # rounds differ (a counter, the time): each is worked out when first needed
            ended = False

            def more(k: int) -> list[Event]:
                nonlocal ended
                if k == 1:
                    return second
                if ended:
                    return []
                begin = base + k * step
                try:
                    return one_round(begin)
                except (ShellExit, OutOfMemory) as e:  # `if [ $i -ge 5 ]; then exit 0; fi`: the process ends
                    ended = True
                    probe.flush()
                    loop = ctx.program.loops[index]
                    loop.exit_at, loop.oom = probe.t, isinstance(e, OutOfMemory)
                    loop.exit_code = e.code if isinstance(e, ShellExit) else 137
                except (Forever, LoopControl):  # `sleep infinity`, `break` in a later round: it goes quiet
                    ended = True
                    probe.flush()
                return [Event(e.t - begin, e.kind, e.text, e.path, e.append) for e in probe.program.events]

        busy = period == 0 and not items
        if node.op == "&":  # a background loop: output goes on while the script continues
            ctx.program.loops.append(Loop(base, step, items, more, foreground=False))
            if busy:
                ctx.busy_job("sh")
            ctx.bg_end = None
            return
        ctx.endless(period, items, busy, more, blocked)

    # -- words and expansions ---------------------------------------------------------------------------
    def words(self, text: str) -> tuple[list[str], list[tuple[str, str]]]:
        """Split a command into words (quotes, escapes, $-expansions) and redirections."""
        words: list[str] = []
        redirs: list[tuple[str, str]] = []
        cur: list[str] = []
        started = False
        pending_redir = ""
        i, n = 0, len(text)

        def end_word() -> None:
            nonlocal started, pending_redir
            if started:
                word = "".join(cur)
                if pending_redir:
                    redirs.append((pending_redir, word))
                    pending_redir = ""
                else:
                    words.append(word)
            cur.clear()
            started = False

        while i < n:
            ch = text[i]
            if ch in " \t":
                end_word()
                i += 1
                continue
            if not started:
                m = re.match(r"(2>&1|1>&2|>&2|&>|2>>|2>|1>>|1>|>>|>|<<<|<)", text[i:])
                if m:
                    op = m.group(1)
                    i += len(op)
                    if op in ("2>&1", "1>&2", ">&2"):
                        redirs.append((op, ""))
                    else:
                        pending_redir = op
                    continue
            started = True
            if ch == "'":
                j = text.find("'", i + 1)
                j = n if j < 0 else j
                cur.append(text[i + 1 : j])
                i = j + 1
            elif ch == '"':
                i += 1
                while i < n and text[i] != '"':
                    if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\$`':
                        cur.append(text[i + 1])
                        i += 2
                    elif text[i] == "$":
                        value, i = self._dollar(text, i)
                        cur.append(value)
                    elif text[i] == "`":
                        value, i = self._backtick(text, i)
                        cur.append(value)
                    else:
                        cur.append(text[i])
                        i += 1
                i += 1
            elif ch == "`":
                value, i = self._backtick(text, i)
                cur.append(value)
            elif ch == "\\" and i + 1 < n:
                cur.append(text[i + 1])
                i += 2
            elif ch == "$":
                value, i = self._dollar(text, i)
                cur.append(value)
            else:
                cur.append(ch)
                i += 1
        end_word()
        return words, redirs

    def _backtick(self, text: str, i: int) -> tuple[str, int]:
        """```cmd```, the old spelling of ``$(cmd)``."""
        end = text.find("`", i + 1)
        end = len(text) if end < 0 else end
        inner = text[i + 1 : end]
        return self._capture(lambda: self.run(parse(inner))).rstrip("\n"), end + 1

    def _dollar(self, text: str, i: int) -> tuple[str, int]:
        """Expand the ``$…`` at ``text[i]``; returns (value, index after it)."""
        env = self.ctx.env
        rest = text[i + 1 :]
        if rest.startswith("(("):
            end = _matching(text, i + 1)
            inner = text[i + 3 : end - 1]
            return str(self._arith(inner)), end + 1
        if rest.startswith("("):
            end = _matching(text, i + 1)
            return self._capture(lambda: self.run(parse(text[i + 2 : end]))).rstrip("\n"), end + 1
        if rest.startswith("{"):
            end = text.find("}", i)
            end = len(text) if end < 0 else end
            inner = text[i + 2 : end]
            if inner.startswith("#"):
                return str(len(env.get(inner[1:], ""))), end + 1
            m = re.fullmatch(r"(\w+)(:?[-+=?]|##?|%%?)?(.*)", inner, re.S)
            if not m:
                return "", end + 1
            name, op, word = m.group(1), m.group(2) or "", m.group(3)
            value = env.get(name, "")
            if op and op[0] in "#%":  # ${HOME#/}, ${FILE%.txt}: strip the shortest (##, %%: longest) match
                return _strip(value, word, op), end + 1
            unset = name not in env or (op.startswith(":") and value == "")
            if op.endswith("-"):
                return (word if unset else value), end + 1
            if op.endswith("+"):
                return ("" if unset else word), end + 1
            if op.endswith("="):
                if unset:
                    env[name] = value = word
                return value, end + 1
            return value, end + 1
        if rest[:1] == "?":
            return str(self.status), i + 2
        if rest[:1] == "$":
            return "1", i + 2
        if rest[:1] in ("#", "@", "*") or rest[:1].isdigit():
            args = self.positional
            if rest[:1] == "#":
                return str(len(args)), i + 2
            if rest[:1] in "@*":
                return " ".join(args), i + 2
            k = int(rest[:1])
            return ("sh" if k == 0 else args[k - 1] if k <= len(args) else ""), i + 2
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", rest)
        if not m:
            return "$", i + 1
        return env.get(m.group(0), ""), i + 1 + len(m.group(0))

    def _arith(self, expr: str) -> int:
        """``$((…))``: C integer arithmetic (division truncates toward zero), as ash does it."""
        env = self.ctx.env
        expr = re.sub(r"\b0[xX][0-9a-fA-F]+\b", lambda m: str(int(m.group(0), 16)), expr)
        expr = re.sub(r"\$?([A-Za-z_][A-Za-z0-9_]*)", lambda m: env.get(m.group(1), "0") or "0", expr)
        if not re.fullmatch(r"[0-9+\-*/%() <>=!&|^~]*", expr):
            return 0
        expr = expr.replace("&&", " and ").replace("||", " or ")
        expr = re.sub(r"!(?!=)", " not ", expr)
        try:
            return _arith_value(ast.parse(expr.strip() or "0", mode="eval").body)
        except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
            return 0

    # -- simple commands ------------------------------------------------------------------------------
    def group(self, text: str, stdin: str | None, background: bool) -> int:
        """``( … )`` (a subshell: its variables, directory and exit stay inside) or ``{ …; }``, with the
        redirections after it (``{ echo a; echo b; } > /tmp/f``)."""
        subshell = text[0] == "("
        close = _matching(text, 0) if subshell else _closing_brace(text)
        inner = text[1:close].strip()
        if not subshell:
            inner = inner.rstrip(";").strip()
        _, redirs = self.words(text[close + 1 :])

        def body() -> int:
            if not subshell:
                self.run(parse(inner))
                return self.status
            env, cwd, errexit = dict(self.ctx.env), self.ctx.cwd, self.errexit
            try:
                self.run(parse(inner))
            except ShellExit as e:
                self.status = e.code
            finally:
                self.ctx.env.clear()
                self.ctx.env.update(env)
                self.ctx.cwd, self.errexit = cwd, errexit
            return self.status

        return self.simple_words(["{"], redirs, stdin, background, body=body)

    def simple(self, text: str, stdin: str | None = None, background: bool = False) -> int:
        ctx = self.ctx
        stripped = text.lstrip()
        if stripped[:1] == "(" or stripped[:2] in ("{ ", "{\t", "{\n"):
            return self.group(stripped, stdin, background)
        fm = re.fullmatch(r"(\w+)\s*\(\)\s*(\{.*\})\s*", stripped, re.S)
        if fm:  # a function definition
            self.functions[fm.group(1)] = fm.group(2)
            self.status = 0
            return 0
        if MEMORY_HOG.search(text) and len({*MEMORY_HOG.search(text).groups()}) == 1:  # type: ignore[union-attr]
            ctx.memory_hog()
        words, redirs = self.words(text)
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            ctx.env[name] = value
        if not words:
            self.status = 0
            return 0
        if words[0] == "!" and len(words) > 1:  # `if ! grep -q x f`: the status, inverted
            self.testing += 1
            try:
                self.status = int(self.simple_words(words[1:], redirs, stdin, background) == 0)
            finally:
                self.testing -= 1
            return self.status
        if words[0] == "exec" and len(words) > 1:
            self.simple_words(words[1:], redirs, stdin, background)
            raise ShellExit(self.status)
        return self.simple_words(words, redirs, stdin, background)

    def simple_words(self, words: list[str], redirs: list[tuple[str, str]], stdin: str | None, background: bool,
                     body: Callable[[], int] | None = None) -> int:
        ctx = self.ctx
        out_target: tuple[str, bool] | None = None
        err_target: tuple[str, bool] | None = None
        err_to_out = out_to_err = False
        for op, target in redirs:
            if op in (">", "1>", ">>", "1>>", "&>"):
                out_target = (target, op.endswith(">>"))
                err_to_out = err_to_out or op == "&>"
            elif op in ("2>", "2>>"):
                err_target = (target, op.endswith(">>"))
            elif op == "2>&1":
                err_to_out = True
            elif op in ("1>&2", ">&2"):
                out_to_err = True
            elif op == "<":
                stdin = ctx.fs.read(SimFS.norm(target, ctx.cwd)) or ""
            elif op == "<<<":  # a here-document (see _heredocs)
                stdin = target
        captured_out: list[str] = []
        captured_err: list[str] = []
        saved_out, saved_err = ctx.stdout_to, ctx.stderr_to
        cur_out, cur_err = saved_out or ctx.emit_out, saved_err or ctx.emit_err
        new_out = captured_out.append if out_target else (cur_err if out_to_err else cur_out)
        ctx.stdout_to = new_out
        ctx.stderr_to = captured_err.append if err_target else (new_out if err_to_out else cur_err)
        try:
            name = words[0].rsplit("/", 1)[-1] if words[0].startswith("/bin/") else words[0]
            if body is not None:
                self.status = body()
            elif name in self.functions:
                saved_args, self.positional = self.positional, list(words[1:])
                try:
                    self.status = self.group(self.functions[name], None, False)
                except LoopControl as e:
                    if e.kind != "return":
                        raise
                    self.status = e.levels
                finally:
                    self.positional = saved_args
            elif background and name == "sleep":
                ctx.background(sleep_seconds(words[1:]))
                self.status = 0
            elif background and name in BUSY_COMMANDS:
                ctx.busy_job(name)
                self.status = 0
            else:
                handler = COMMANDS.get(name)
                if handler:
                    self.status = handler(self, words[1:], stdin)
                elif self.scripted and "/" not in name and name not in SERVERS and name not in BUSYBOX_APPLETS:
                    ctx.err(f"sh: {name}: not found\n")  # not in the image at all: busybox sh's words
                    self.status = 127
                else:
                    self.status = ctx.unknown(name)
        finally:
            ctx.stdout_to, ctx.stderr_to = saved_out, saved_err
        for dest, captured in ((out_target, captured_out), (err_target, captured_err)):
            if dest and dest[0] not in ("/dev/null", ""):
                error = ctx.fs_write(SimFS.norm(dest[0], ctx.cwd), "".join(captured), dest[1])
                if error:
                    ctx.err(f"sh: {error}\n")
                    self.status = 1
        return self.status


def _strip(value: str, pattern: str, op: str) -> str:
    rx = re.compile(fnmatch.translate(pattern), re.S)
    cuts = range(len(value) + 1)
    if op[0] == "#":
        for n in reversed(cuts) if op == "##" else cuts:
            if rx.match(value[:n]):
                return value[n:]
    else:
        for n in cuts if op == "%%" else reversed(cuts):
            if rx.match(value[n:]):
                return value[:n]
    return value


_ARITH_OPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: (abs(a) // abs(b)) * (1 if (a < 0) == (b < 0) else -1),
    ast.Mod: lambda a, b: a - b * ((abs(a) // abs(b)) * (1 if (a < 0) == (b < 0) else -1)),
    ast.Pow: lambda a, b: a**b if 0 <= b < 64 else 0, ast.LShift: lambda a, b: a << b, ast.RShift: lambda a, b: a >> b,
    ast.BitAnd: lambda a, b: a & b, ast.BitOr: lambda a, b: a | b, ast.BitXor: lambda a, b: a ^ b,
    ast.Lt: lambda a, b: int(a < b), ast.LtE: lambda a, b: int(a <= b), ast.Gt: lambda a, b: int(a > b),
    ast.GtE: lambda a, b: int(a >= b), ast.Eq: lambda a, b: int(a == b), ast.NotEq: lambda a, b: int(a != b),
}  # fmt: skip


def _arith_value(node: ast.AST) -> int:
    """Evaluate the integer expression tree of ``$((…))`` (numbers and operators only)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return int(node.value)
    if isinstance(node, ast.UnaryOp):
        v = _arith_value(node.operand)
        return {ast.USub: -v, ast.UAdd: v, ast.Not: int(not v), ast.Invert: ~v}[type(node.op)]
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH_OPS:
        return _ARITH_OPS[type(node.op)](_arith_value(node.left), _arith_value(node.right))
    if isinstance(node, ast.BoolOp):
        values = [_arith_value(v) for v in node.values]
        return int(all(values) if isinstance(node.op, ast.And) else any(values))
    if isinstance(node, ast.Compare):
        left = _arith_value(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _arith_value(right_node)
            if type(op) not in _ARITH_OPS or not _ARITH_OPS[type(op)](left, right):
                return 0
            left = right
        return 1
    raise ValueError("not arithmetic")


def _closing_brace(text: str) -> int:
    """Index of the ``}`` that closes the group ``{`` at ``text[0]`` (quotes and ``${X}`` respected)."""
    depth, quote = 0, ""
    for j, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "{" and (j == 0 or text[j - 1] in " \t\n;"):
            depth += 1
        elif ch == "}" and text[j - 1 : j] in (" ", "\t", "\n", ";"):
            depth -= 1
            if depth == 0:
                return j
    return len(text)


def _matching(text: str, open_index: int) -> int:
    """Index of the ``)`` closing the ``(`` at *open_index* (quotes respected)."""
    depth, quote = 0, ""
    for j in range(open_index, len(text)):
        ch = text[j]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return j
    return len(text)



def model_program(
    argv: list[str],
    env: dict[str, str],
    fs: SimFS,
    cwd: str,
    hostname: str,
    memory_limit: int | None,
    start: float = 0.0,
) -> Program:
    """Interpret a start command (``argv``) into the :class:`Program` of the container's process,
    which starts at cluster time *start* (what ``date`` prints)."""
    ctx = TimelineContext(dict(env), fs.overlay(), cwd, hostname, memory_limit, start)
    ctx.argv = list(argv)
    sh = Interpreter(ctx)
    prog = ctx.program
    base = argv[0].rsplit("/", 1)[-1] if argv else ""
    try:
        if base in ("sh", "ash", "bash") and "-c" in argv[1:2]:
            script = argv[2] if len(argv) > 2 else ""
            sh.run_script(script)
        elif base in ("sh", "ash", "bash") and len(argv) == 1:
            pass  # an interactive shell with no stdin: reads EOF and exits 0 at once
        else:
            sh.simple_words(list(argv), [], None, False)
        ctx.flush()
        prog.end, prog.exit_code = ctx.t, sh.status
    except ShellExit as e:
        ctx.flush()
        prog.end, prog.exit_code = ctx.t, e.code
    except OutOfMemory:
        ctx.flush()
        prog.end, prog.exit_code, prog.oom = ctx.t, 137, True
    except Forever:
        ctx.flush()
        prog.end = None
    except ParseError as e:
        ctx.err(f"sh: syntax error: {e}\n")
        ctx.flush()
        prog.end, prog.exit_code = 0.0, 2
    if prog.end is not None:
        prog.end = max(prog.end, MIN_RUN)
    memory = env.get("K8SEDU_SIM_MEMORY")
    if memory:
        try:
            prog.memory_bytes = parse_bytes(memory)
        except ValueError:
            pass
        if prog.memory_bytes and memory_limit is not None and prog.memory_bytes > memory_limit:
            prog.events = [e for e in prog.events if e.t <= 0.1]
            prog.loops, prog.end, prog.exit_code, prog.oom = [], max(MIN_RUN, 0.1), 137, True
    return prog
