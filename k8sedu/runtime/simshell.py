"""A tiny model of busybox ``sh``, for the simulated runtime. Honest about being small.

The simulated runtime runs no processes. To know what a container *would* do, it reads its command
the way busybox ``sh`` would and turns it into a timeline on the cluster clock::

    sh -c 'echo start; touch /tmp/healthy; sleep 30; rm /tmp/healthy; sleep 600'

    t=0     stdout "start"        t=0  write /tmp/healthy        t=30  rm /tmp/healthy
    t=630   exit 0 ("Completed")

What is modelled: ``;`` ``&&`` ``||`` ``&`` ``|``, newlines, quotes, ``$VAR`` ``${VAR:-x}`` ``$?``
``$(cmd)`` ``$((i+1))``, redirections (``>``, ``>>``, ``2>&1``), ``while``/``until``/``for``/``if``,
``trap``, ``wait``, ``exit``, and the commands echo, printf, cat, ls, hostname, env, printenv, date,
sleep, touch, mkdir, rm, cp, test/[, true/false, kill, wget, ps, id, whoami, uname, pwd, grep, wc,
head, tail, sort, seq, export. ``while true; do …; sleep N; done`` becomes periodic output; a string
that doubles itself (``x=$x$x``) or ``K8SEDU_SIM_MEMORY=<bytes>`` in the environment uses memory.

What is not: real processes, pipes between long-running commands, functions, most options. In a start
script an unknown command is taken to run forever (it is probably a server); in ``exec`` it fails
with a message saying the simulated runtime does not model it.
"""

from __future__ import annotations

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
LOOP_LIMIT = 1000  # iterations of a conditional loop before it counts as endless
MEMORY_HOG = re.compile(r"(\w+)=[\"']?\$\{?(\w+)\}?\$\{?(\w+)\}?")  # x=$x$x: doubles each round


# -- splitting a script into statements --------------------------------------------------------------


def split_statements(script: str) -> list[tuple[str, str]]:
    """``"a; b && c &\\nd"`` -> ``[("a", ";"), ("b", "&&"), ("c", "&"), ("d", ";")]`` (quotes respected)."""
    out: list[tuple[str, str]] = []
    cur: list[str] = []
    quote, depth, i, n = "", 0, 0, len(script)

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
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch == "\\" and i + 1 < n:
            cur.append(ch + script[i + 1])
            i += 1
        elif script.startswith("$(", i):
            depth += 1
            cur.append("$(")
            i += 1
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


@dataclass
class IfNode:
    branches: list  # [(condition text, body)]
    orelse: list
    op: str


class ParseError(Exception):
    pass


def _first(text: str) -> tuple[str, str]:
    parts = text.split(None, 1)
    return (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")


def parse(script: str) -> list:
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
            nodes.append(LoopNode(word, rest, body, stmts[i - 1][1] if i else ";"))
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

    def endless(self, period: float, items: list[Event], busy: bool) -> None:
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

    def __init__(self, env: dict[str, str], fs: SimFS, cwd: str, hostname: str, memory_limit: int | None) -> None:
        super().__init__(env, fs, cwd)
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
        if seconds is None:
            raise Forever()
        self.t += seconds

    def now(self) -> float:
        return self.t  # offsets: the caller maps them to cluster time

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
        if not action.strip():
            self.program.handles_term = False  # trap '' TERM: ignored until SIGKILL
            return
        m = re.search(r"\bexit\b\s*(\d+)?", action)
        if m:
            self.program.handles_term = True
            self.program.term_code = int(m.group(1) or 0)
            self.program.term_output = [
                w for w in re.findall(r"echo\s+[\"']?([^;\"']*)", action)
            ]

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

    def endless(self, period: float, items: list[Event], busy: bool) -> None:
        if items:
            self.program.loops.append(Loop(self.t, max(period, FAST_LOOP_PERIOD), items))
        if busy:
            self.program.busy = True
        raise Forever()

    def unknown(self, name: str) -> int:
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

    # -- running --------------------------------------------------------------------------------------
    def run_script(self, script: str) -> int:
        self.run(parse(script))
        return self.status

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
            elif isinstance(node, LoopNode):
                self.loop(node)
            elif isinstance(node, IfNode):
                self.if_(node)

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
        self.run(parse(text))
        return self.status == 0

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
                self.run(node.body)
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
            self.run(node.body)
            last = self.status
        self._endless(node)

    def _endless(self, node: LoopNode) -> None:
        """Measure one round of the body, then repeat it forever (or stop at an exit inside it)."""
        ctx = self.ctx
        if not isinstance(ctx, TimelineContext):
            if node.op == "&" and "sleep" not in repr(node.body):  # an exec'd busy loop in the background
                ctx.busy_job("sh")
                return
            raise Forever()
        probe = TimelineContext(dict(ctx.env), ctx.fs, ctx.cwd, ctx.hostname, ctx.memory_limit)
        probe.program = Program("shell")
        try:
            Interpreter(probe).run(node.body)
            probe.flush()
        except (ShellExit, OutOfMemory, Forever):
            self.run(node.body)  # it ends inside its first round: run that round for real
            return
        items = [e for e in probe.program.events if e.kind in ("stdout", "stderr")]
        busy = probe.t == 0 and not items
        if node.op == "&":  # a background loop: output goes on while the script continues
            if items:
                ctx.program.loops.append(Loop(ctx.t, max(probe.t, FAST_LOOP_PERIOD), items))
            if busy:
                ctx.busy_job("sh")
            ctx.bg_end = None
            return
        ctx.endless(probe.t, items, busy)

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
                m = re.match(r"(2>&1|1>&2|>&2|&>|2>>|2>|1>>|1>|>>|>|<)", text[i:])
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
                    else:
                        cur.append(text[i])
                        i += 1
                i += 1
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
            name, sep, default = inner.partition(":-")
            value = env.get(name, "")
            return (value or default) if sep else value, end + 1
        if rest[:1] == "?":
            return str(self.status), i + 2
        if rest[:1] == "$":
            return "1", i + 2
        if rest[:1] in ("#", "@", "*") or rest[:1].isdigit():
            return ("0" if rest[:1] == "#" else ""), i + 2
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", rest)
        if not m:
            return "$", i + 1
        return env.get(m.group(0), ""), i + 1 + len(m.group(0))

    def _arith(self, expr: str) -> int:
        env = self.ctx.env
        expr = re.sub(r"\$?([A-Za-z_][A-Za-z0-9_]*)", lambda m: env.get(m.group(1), "0") or "0", expr)
        if not re.fullmatch(r"[0-9+\-*/%() <>=!&|]*", expr):
            return 0
        try:
            return int(eval(expr.replace("/", "//"), {"__builtins__": {}}, {}))  # digits and operators only
        except Exception:
            return 0

    # -- simple commands ------------------------------------------------------------------------------
    def simple(self, text: str, stdin: str | None = None, background: bool = False) -> int:
        ctx = self.ctx
        if MEMORY_HOG.search(text) and len({*MEMORY_HOG.search(text).groups()}) == 1:  # type: ignore[union-attr]
            ctx.memory_hog()
        words, redirs = self.words(text)
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            ctx.env[name] = value
        if not words:
            self.status = 0
            return 0
        if words[0] == "exec" and len(words) > 1:
            self.simple_words(words[1:], redirs, stdin, background)
            raise ShellExit(self.status)
        return self.simple_words(words, redirs, stdin, background)

    def simple_words(self, words: list[str], redirs: list[tuple[str, str]], stdin: str | None, background: bool) -> int:
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
        captured_out: list[str] = []
        captured_err: list[str] = []
        saved_out, saved_err = ctx.stdout_to, ctx.stderr_to
        cur_out, cur_err = saved_out or ctx.emit_out, saved_err or ctx.emit_err
        new_out = captured_out.append if out_target else (cur_err if out_to_err else cur_out)
        ctx.stdout_to = new_out
        ctx.stderr_to = captured_err.append if err_target else (new_out if err_to_out else cur_err)
        try:
            name = words[0].rsplit("/", 1)[-1] if words[0].startswith("/bin/") else words[0]
            if background and name == "sleep":
                ctx.background(sleep_seconds(words[1:]))
                self.status = 0
            elif background and name in BUSY_COMMANDS:
                ctx.busy_job(name)
                self.status = 0
            else:
                handler = COMMANDS.get(name)
                self.status = handler(self, words[1:], stdin) if handler else ctx.unknown(name)
        finally:
            ctx.stdout_to, ctx.stderr_to = saved_out, saved_err
        for dest, captured in ((out_target, captured_out), (err_target, captured_err)):
            if dest and dest[0] not in ("/dev/null", ""):
                error = ctx.fs_write(SimFS.norm(dest[0], ctx.cwd), "".join(captured), dest[1])
                if error:
                    ctx.err(f"sh: {error}\n")
                    self.status = 1
        return self.status


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
) -> Program:
    """Interpret a start command (``argv``) into the :class:`Program` of the container's process."""
    ctx = TimelineContext(dict(env), fs.overlay(), cwd, hostname, memory_limit)
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
