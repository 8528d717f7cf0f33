"""The shell model of the simulated runtime against busybox ``sh``: what lessons' start scripts print.

``BUSYBOX`` is what the offline ``k8sedu/busybox`` image prints for common tutorial commands (stdout,
stderr, exit code), recorded from real Docker; the ``docker`` test re-checks the table against the
image, the others check the simulated runtime against it (start scripts and ``exec``), and the cluster
clock's part: ``date`` prints its time, each round of ``while true; do …; sleep 1; done`` its own
output, appended files grow round by round where another container can read them, and a SIGTERM trap
runs only when the foreground command ends, as busybox runs traps.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from k8sedu.clock import FakeClock
from k8sedu.runtime import ContainerConfig, Mount, SandboxConfig, SimRuntime
from k8sedu.runtime.simfs import SimFS
from k8sedu.runtime.simshell import model_program

START = 1_700_000_000.0  # Tue Nov 14 22:13:20 UTC 2023
POD, NS, UID, NODE = "shell-x2k8p", "default", "7a1c", "node-1"

# (script, stdout, stderr, exit code) as `docker run --rm k8sedu/busybox sh -c SCRIPT` gives them.
BUSYBOX: list[tuple[str, str, str, int]] = [('echo hello; sleep 0', 'hello\n', '', 0),
 ('echo $((3+4)) $((10/3)) $((7%3)) $((2*3-1))', '7 3 1 5\n', '', 0),
 ('for i in 1 2 3; do echo i=$i; done', 'i=1\ni=2\ni=3\n', '', 0),
 ('seq 1 5 | while read i; do echo n=$i; done', 'n=1\nn=2\nn=3\nn=4\nn=5\n', '', 0),
 ("printf 'a b\\nc d\\n' | while read x y; do echo $y-$x; done", 'b-a\nd-c\n', '', 0),
 ('i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done', '0\n1\n2\n', '', 0),
 ('test -f /etc/hostname; echo rc=$?; test -f /nope; echo rc=$?', 'rc=0\nrc=1\n', '', 0),
 ('[ -f /etc/hostname ] && echo y; [ -f /nope ] && echo n; echo rc=$?', 'y\nrc=1\n', '', 0),
 ('[ -d /tmp ] || echo no; [ -z "" ] && echo empty; [ 3 -gt 2 ] && echo gt', 'empty\ngt\n', '', 0),
 ('exit 3', '', '', 3),
 ('echo a; false; echo rc=$?; true; echo rc=$?', 'a\nrc=1\nrc=0\n', '', 0),
 ('kill -TERM 1; echo after rc=$?', 'after rc=0\n', '', 0),
 ('x=5; if [ $x -gt 3 ]; then echo big; else echo small; fi', 'big\n', '', 0),
 ("echo -n a; echo b; echo -e 'x\\ty'", 'ab\nx\ty\n', '', 0),
 ("printf '%s-%d\\n' foo 42; printf '%05d|%-4s|%3s|\\n' 7 ab c", 'foo-42\n00007|ab  |  c|\n', '', 0),
 ('cat /nope; echo rc=$?', 'rc=1\n', "cat: can't open '/nope': No such file or directory\n", 0),
 ('ls /nope; echo rc=$?', 'rc=1\n', 'ls: /nope: No such file or directory\n', 0),
 ('nosuchcmd; echo rc=$?', 'rc=127\n', 'sh: nosuchcmd: not found\n', 0),
 ('echo $HOME; echo ${NOPE:-default} ${HOME:+set} ${NOPE:+x}-', '/root\ndefault set -\n', '', 0),
 ('basename /a/b/c.txt; basename /a/b/c.txt .txt; dirname /a/b/c.txt', 'c.txt\nc\n/a/b\n', '', 0),
 ("echo 'a b c' | awk '{print $2}'; echo 'x:y:z' | awk -F: '{print $3, $1}'", 'b\nz x\n', '', 0),
 ("printf 'x\\nx\\ny\\n' | uniq -c; printf 'x\\nx\\ny\\n' | uniq", '      2 x\n      1 y\nx\ny\n', '', 0),
 ("echo one two | cut -d' ' -f2; echo a,b,c | cut -d, -f1,3; echo hello | cut -c 2-4", 'two\na,c\nell\n', '', 0),
 ("printf 'a\\nb\\nc\\n' > /tmp/f; wc -l /tmp/f; wc -l < /tmp/f; cat /tmp/f | wc -l; wc /tmp/f; wc -c /tmp/f", '3 /tmp/f\n3\n3\n        3         3         6 /tmp/f\n6 /tmp/f\n', '', 0),
 ("printf 'a\\nb\\nc\\nd\\n' > /tmp/f; sed -n 2p /tmp/f; sed -n '2,3p' /tmp/f; sed -n '$p' /tmp/f; sed 's/a/X/' /tmp/f", 'b\nb\nc\nd\nX\nb\nc\nd\n', '', 0),
 ("printf 'foo bar foo\\n' | sed 's/foo/X/g'; printf 'a\\nb\\n' | sed '/a/d'; printf 'a\\nb\\n' | sed -n '/b/p'", 'X bar X\nb\nb\n', '', 0),
 ('echo abcdef | head -c 3; echo; seq 10 | head -n 2; seq 10 | head -3; seq 10 | tail -n 2', 'abc\n1\n2\n1\n2\n3\n9\n10\n', '', 0),
 ("echo hello | tr a-z A-Z; echo hello | tr -d l; echo a-b | tr '-' ' '", 'HELLO\nheo\na b\n', '', 0),
 ("printf 'apple\\nbanana\\ncherry\\n' | grep an; echo rc=$?; echo x | grep zz; echo rc=$?; printf 'a\\nb\\n' | grep -c a", 'banana\nrc=0\nrc=1\n1\n', '', 0),
 ('echo hi | tee /tmp/t; cat /tmp/t; echo rc=$?', 'hi\nhi\nrc=0\n', '', 0),
 ('expr 3 + 4; expr 7 / 2; expr 2 \\* 3; expr 1 - 1; echo rc=$?', '7\n3\n6\n0\nrc=1\n', '', 0),
 ('mkdir -p /tmp/d; echo x > /tmp/d/f; mv /tmp/d/f /tmp/d/g; ls /tmp/d', 'g\n', '', 0),
 ('echo $(echo nested) "$(echo a; echo b)"', 'nested a\nb\n', '', 0),
 ('sleep 1 & wait; echo waited', 'waited\n', '', 0),
 ('rm /nope; echo rc=$?; rm -f /nope; echo rc=$?', 'rc=1\nrc=0\n', "rm: can't remove '/nope': No such file or directory\n", 0),
 ('echo \'single $HOME\'; echo "double ${HOME}"', 'single $HOME\ndouble /root\n', '', 0),
 ('cd /tmp && pwd; cd /nope; echo rc=$?', '/tmp\nrc=2\n', "sh: cd: line 0: can't cd to /nope: No such file or directory\n", 0),
 ('id; whoami', 'uid=0(root) gid=0(root) groups=0(root)\nroot\n', '', 0),
 ('seq 3; seq 2 4; seq 1 2 7', '1\n2\n3\n2\n3\n4\n1\n3\n5\n7\n', '', 0),
 ('echo start; echo oops >&2; echo end', 'start\nend\n', 'oops\n', 0),
 ('echo ${#HOME}; X=abc; echo ${X}def $X', '5\nabcdef abc\n', '', 0),
 ('FOO=bar; export FOO; env | grep FOO', 'FOO=bar\n', '', 0),
 ('mkdir /tmp/ls1; touch /tmp/ls1/a /tmp/ls1/b; ls /tmp/ls1; [ -e /tmp/ls1/a ] && echo exists', 'a\nb\nexists\n', '', 0),
 ('echo one > /tmp/o; echo two >> /tmp/o; cat /tmp/o; cat /tmp/o | sort -r', 'one\ntwo\ntwo\none\n', '', 0),
 ('until [ -f /tmp/x ]; do touch /tmp/x; echo made; done; echo ok', 'made\nok\n', '', 0),
 ('case_ok=1; for f in /etc/hostname /etc/hosts; do [ -f $f ] && echo has $f; done', 'has /etc/hostname\nhas /etc/hosts\n', '', 0),
 ('echo rev | rev; echo ok; exit 0', 'ver\nok\n', '', 0),
 ('cat /etc/hostname > /dev/null && echo readable', 'readable\n', '', 0),
 ('grep -q root /etc/passwd; echo rc=$?', 'rc=0\n', '', 0),
 ('printf "a\\nb\\n" > /tmp/l; while read x; do echo got $x; done < /tmp/l; echo rc=$?; while read x; do echo $x; done < /nope; echo rc=$?',
  'got a\ngot b\nrc=0\nrc=1\n', "sh: can't open /nope: no such file\n", 0),
 ('ls -l /etc/hostname | cut -c 1-10; mkdir /tmp/e; ls -la /tmp/e | cut -c 1-10', '-rw-r--r--\ntotal 8\ndrwxr-xr-x\ndrwxrwxrwt\n', '', 0),
 ('cat <<EOF\nhello $HOME\nit\'s "quoted"\nEOF\ncat <<\'EOF\' > /tmp/c\nraw $HOME\nEOF\ncat /tmp/c; wc -l <<EOF\na\nb\nEOF\necho after',
  'hello /root\nit\'s "quoted"\nraw $HOME\n2\nafter\n', '', 0),
 ('while :; do echo once; break; done; echo rc=$?', 'once\nrc=0\n', '', 0),
 ('for i in 1 2 3 4; do [ $i -eq 2 ] && continue; [ $i -eq 4 ] && break; echo i=$i; done', 'i=1\ni=3\n', '', 0),
 ('for x in a b; do for y in 1 2; do [ $y = 2 ] && break 2; echo $x$y; done; done; echo out', 'a1\nout\n', '', 0),
 ('test 1 -eq 1 -a 2 -eq 2 && echo both; test 1 -eq 2 -o 2 -eq 2 && echo either; [ -f /nope -a -d /tmp ] || echo neither', 'both\neither\nneither\n', '', 0),
 ('if ! grep -q zzz /etc/hosts; then echo absent; fi; ! true; echo rc=$?', 'absent\nrc=1\n', '', 0),
 ('printf "%s\\n" a b c; printf \'%s=%s;\' k1 v1 k2 v2; echo; printf \'%d%%\\n\' 50', 'a\nb\nc\nk1=v1;k2=v2;\n50%\n', '', 0),
 ('echo $0', 'sh\n', '', 0),
 ("printf 'b\\n10\\n2\\n' | sort -n; printf 'b\\na\\nb\\n' | sort -u; seq 5 | head -1", 'b\n2\n10\na\nb\n1\n', '', 0),
 ('mkdir -p /a/b && cd /a/b && pwd', '/a/b\n', '', 0),
 ('echo hi | wc -c; echo "a b" | wc -w', '3\n2\n', '', 0),
 ('x=1; x=$((x+1)); echo $x; echo $((x > 1)) $((x == 3)) $((0x10)) $((-3/2)) $((-7%3)) $((2**10)) $((1 && 0))', '2\n1 0 16 -1 -1 1024 0\n', '', 0),
 ('F=a.tar.gz; echo "${HOME%/*}x ${HOME#/} ${F%.*} ${F%%.*} ${F#*.} ${F##*.}"', 'x root a.tar a tar.gz gz\n', '', 0),
 ('echo `echo backtick` "in `echo quotes`"', 'backtick in quotes\n', '', 0),
 ('a="x y"; for w in $a; do echo w=$w; done', 'w=x\nw=y\n', '', 0),
 ('echo ${HOME:-x} ${UNSET-def} ${#UNSET}; export A=1 B=2; echo $A$B', '/root def 0\n12\n', '', 0),
 ('echo \'a\\tb\'; echo "a\\nb"; sleep 1s; sleep 0.5; echo ok', 'a\\tb\na\\nb\nok\n', '', 0),
 ('ps | head -1', 'PID   USER     COMMAND\n', '', 0),
 ('i=0; while true; do i=$((i+1)); [ $i -ge 3 ] && break; done; echo i=$i', 'i=3\n', '', 0),
 ('case x in x) echo matched;; *) echo other;; esac', 'matched\n', '', 0),
 ('H=web-1; case $H in\n  *-0) echo primary ;;\n  web-1|web-2)\n    echo replica\n    echo second line\n    ;;\n  *) echo other ;;\nesac; echo rc=$?', 'replica\nsecond line\nrc=0\n', '', 0),
 ('case "a b" in "a b") echo quoted;; esac; case z in a) echo a;; esac; echo rc=$?', 'quoted\nrc=0\n', '', 0),
 ('for h in web-0 db-3; do case $h in web-*) echo web $h;; *) echo not $h;; esac; done\n', 'web web-0\nnot db-3\n', '', 0),
 ('set -e; echo one; false; echo two', 'one\n', '', 1),
 ('set -e; false || echo recovered; if false; then echo no; fi; ! true; false && echo no; echo reached; cat /nope; echo never',
  'recovered\nreached\n',
  "cat: can't open '/nope': No such file or directory\n",
  1),
 ('set -eu; echo a; set +e; false; echo b\n', 'a\nb\n', '', 0),
 ('echo start && (echo sub; exit 2); echo rc=$?', 'start\nsub\nrc=2\n', '', 0),
 ('{ echo a; echo b; } > /tmp/g; cat /tmp/g', 'a\nb\n', '', 0),
 ('X=1; (X=2; cd /tmp; echo in $X $(pwd)); echo out $X $(pwd)', 'in 2 /tmp\nout 1 /\n', '', 0),
 ('{ echo x; echo y >&2; } 2>&1 | wc -l; echo "${HOME}"', '2\n/root\n', '', 0),
 ('(sleep 0; echo bg) & wait; echo done', 'bg\ndone\n', '', 0),
 ('if [ -d /tmp ]; then { echo grouped; }; fi\n', 'grouped\n', '', 0),
 ('f() { echo in f $1 $#; }; f arg; f a b', 'in f arg 1\nin f a 2\n', '', 0),
 ('greet() {\n  echo "hello $1"\n  return 0\n}\ngreet world; greet "big world"', 'hello world\nhello big world\n', '', 0),
 ('log() { echo "[$(date +%Y)] $*" > /dev/null; echo logged $*; }; log one two\n', 'logged one two\n', '', 0),
 ("printf 'port=80\\nname=x\\n' > /tmp/app.conf; sed -i 's/80/8080/' /tmp/app.conf; cat /tmp/app.conf; sed 2p /tmp/app.conf; sed -n '/name/s/x/y/p' /tmp/app.conf",
  'port=8080\nname=x\nport=8080\nname=x\nname=x\nname=y\n',
  '',
  0),
 ("echo 'a.b.c' | sed 's/\\./-/g'; echo 'key: value' | sed 's/\\(.*\\): \\(.*\\)/\\2=\\1/'; echo abc | sed 's/b/[&]/'\n", 'a-b-c\nvalue=key\na[b]c\n', '', 0),
 ('echo -n secret | base64; echo c2VjcmV0 | base64 -d; echo; printf "%080d" 0 | base64; echo bad | base64 -d; echo rc=$?',
  'c2VjcmV0\nsecret\nMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw\nMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=\nrc=1\n',
  'base64: truncated input\n',
  0),
 ('echo hi | md5sum; echo hi > /tmp/h; sha256sum /tmp/h; which sh; which nope; echo rc=$?; printf "a\\nb\\n" | tac\n',
  '764efa883dda1e11db47671c4a3bbd9e  -\n98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4  /tmp/h\n/bin/sh\nrc=1\nb\na\n',
  '',
  0)]



@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def rt(clock: FakeClock) -> Iterator[SimRuntime]:
    runtime = SimRuntime("simshell", clock)
    yield runtime
    runtime.cleanup()


def sandbox(rt: SimRuntime) -> str:
    return rt.create_sandbox(SandboxConfig(UID, POD, NS, NODE)).id


def start(rt: SimRuntime, sb: str, name: str, script: str, **kw: object) -> str:
    cid = rt.create_container(sb, ContainerConfig(name, "k8sedu/busybox", POD, NS, UID, command=["sh", "-c", script], **kw))  # type: ignore[arg-type]
    rt.start_container(cid)
    return cid


def base_fs() -> SimFS:
    """The files of a busybox container the table's scripts read."""
    return SimFS({"/etc/hostname": "shell-x2k8p\n", "/etc/hosts": "127.0.0.1\tlocalhost\n",
                  "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"})  # fmt: skip


def ids(case: tuple[str, str, str, int]) -> str:
    return case[0][:40]


@pytest.mark.parametrize("case", BUSYBOX, ids=ids)
def test_start_scripts_print_what_busybox_prints(case: tuple[str, str, str, int]) -> None:
    script, stdout, stderr, code = case
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
    prog = model_program(["sh", "-c", script], env, base_fs(), "/", "shell-x2k8p", None, start=START)
    out = "".join(e.text + "\n" for e in prog.events if e.kind == "stdout")
    err = "".join(e.text + "\n" for e in prog.events if e.kind == "stderr")
    assert (out, err, prog.exit_code, prog.end is not None) == (stdout, stderr, code, True)


@pytest.mark.parametrize("case", BUSYBOX, ids=ids)
def test_exec_prints_what_busybox_prints(rt: SimRuntime, case: tuple[str, str, str, int]) -> None:
    script, stdout, stderr, code = case
    sb = sandbox(rt)
    cid = start(rt, sb, "main", "sleep 3600")
    rt.exec(cid, ["sh", "-c", "echo root:x:0:0:root:/root:/bin/sh > /etc/passwd"])
    result = rt.exec(cid, ["sh", "-c", script])
    assert (result.stdout, result.stderr, result.exit_code) == (stdout, stderr, code)


@pytest.mark.docker
def test_the_table_is_what_the_busybox_image_prints() -> None:
    from k8sedu.runtime import DockerRuntime

    runtime = DockerRuntime("simshell-check")
    runtime.ensure_images()
    driver = []
    for script, *_ in BUSYBOX:
        quoted = script.replace("'", "'\\''")
        driver.append(f"sh -c '{quoted}' >/tmp/.o 2>/tmp/.e; rc=$?; echo @@case; echo \"@@rc=$rc\"; cat /tmp/.o;"
                      " echo @@err; cat /tmp/.e; echo @@end")  # fmt: skip
    done = subprocess.run(["docker", "run", "--rm", "-i", "k8sedu/busybox", "sh", "-s"], input="\n".join(driver) + "\n",
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    got = []
    for chunk in done.stdout.split("@@case\n")[1:]:
        rc, rest = chunk.split("\n", 1)
        out, err = rest.split("@@err\n", 1)
        got.append((out, err.rsplit("@@end\n", 1)[0], int(rc.split("=")[1])))
    assert got == [case[1:] for case in BUSYBOX]


# -- the cluster clock ------------------------------------------------------------------------------


def test_date_prints_the_cluster_time_at_that_moment(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    cid = start(rt, sb, "main", "date; sleep 5; date +%s; while true; do date -u; sleep 2; done")
    clock.advance(9.5)
    assert rt.logs(cid).splitlines() == [
        "Tue Nov 14 22:13:20 UTC 2023",
        str(int(START) + 5),
        "Tue Nov 14 22:13:25 UTC 2023",
        "Tue Nov 14 22:13:27 UTC 2023",
        "Tue Nov 14 22:13:29 UTC 2023",
    ]
    assert rt.exec(cid, ["date", "+%H:%M:%S"]).stdout == "22:13:29\n"


def test_each_round_of_a_loop_has_its_own_state(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    cid = start(rt, sb, "main", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done")
    clock.advance(3.5)
    assert rt.logs(cid).splitlines() == ["tick 0", "tick 1", "tick 2", "tick 3"]
    clock.advance(2)
    assert rt.logs(cid, tail=2).splitlines() == ["tick 4", "tick 5"]
    stamped = rt.logs(cid, timestamps=True).splitlines()
    assert stamped[1].startswith("2023-11-14T22:13:21.") and stamped[1].endswith(" tick 1")


def test_a_loop_appends_to_a_shared_emptydir_round_by_round(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    cache = [Mount("/cache", volume="shell-cache")]
    writer = start(rt, sb, "writer", "while true; do date >> /cache/log.txt; sleep 1; done", mounts=cache)
    counter = start(rt, sb, "counter", "i=0; while true; do echo $i >> /cache/x; i=$((i+1)); sleep 1; done",
                    mounts=cache)  # fmt: skip
    reader = start(rt, sb, "reader", "sleep 3600", mounts=cache)
    clock.advance(2.5)
    assert rt.exec(reader, ["cat", "/cache/log.txt"]).stdout == (
        "Tue Nov 14 22:13:20 UTC 2023\nTue Nov 14 22:13:21 UTC 2023\nTue Nov 14 22:13:22 UTC 2023\n"
    )
    assert rt.exec(reader, ["cat", "/cache/x"]).stdout == "0\n1\n2\n"
    clock.advance(2)
    assert rt.exec(reader, ["sh", "-c", "wc -l /cache/log.txt; tail -n 1 /cache/x"]).stdout == "5 /cache/log.txt\n4\n"
    assert rt.logs(writer) == "" and rt.logs(counter) == ""  # redirected: nothing on stdout


def test_a_loop_reading_its_own_file_sees_it_grow(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    cid = start(rt, sb, "main", "while true; do echo x >> /tmp/f; wc -l < /tmp/f; sleep 1; done")
    clock.advance(2.5)
    assert rt.logs(cid).splitlines() == ["1", "2", "3"]


def test_a_pipe_feeds_a_while_read_loop_in_the_timeline(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    cid = start(rt, sb, "main", "seq 1 3 | while read i; do echo n=$i; sleep 1; done; echo done")
    clock.advance(2.5)
    assert rt.logs(cid).splitlines() == ["n=1", "n=2", "n=3"]
    assert rt.container_status(cid).state == "running"
    clock.advance(1)
    assert rt.logs(cid).splitlines()[-1] == "done"
    assert rt.container_status(cid).exit_code == 0


# -- SIGTERM traps run when the foreground command ends -------------------------------------------


def stop(rt: SimRuntime, clock: FakeClock, cid: str, grace: float) -> float:
    """docker stop, with the clock moving in 0.1 s steps; returns when the container exited (offset)."""
    t0 = clock.now()
    worker = threading.Thread(target=rt.stop_container, args=(cid, grace))
    worker.start()
    deadline = time.monotonic() + 20
    while worker.is_alive() and time.monotonic() < deadline:
        clock.advance(0.1)
        worker.join(0.01)
    assert not worker.is_alive(), "stop_container did not return"
    status = rt.container_status(cid)
    assert status.finished_at is not None
    return status.finished_at - t0


@pytest.mark.parametrize(
    ("script", "logs", "code", "waits_grace"),
    [
        ("trap 'echo bye' TERM; while true; do sleep 1; done", ["bye"], 137, True),  # no exit: killed
        ("trap 'echo bye; exit 0' TERM; while true; do sleep 1; done", ["bye"], 0, False),  # after sleep 1
        ("trap 'echo bye; exit 0' TERM; sleep 3600", [], 137, True),  # the trap waits for sleep 3600
        ("trap 'echo bye; exit 0' TERM; sleep 3600 & wait", ["bye"], 0, False),  # wait is interrupted
        ("trap 'echo bye; exit 3' TERM; echo started; while true; do sleep 1; done", ["started", "bye"], 3, False),
    ],
)
def test_traps_run_between_commands_as_in_busybox(
    rt: SimRuntime, clock: FakeClock, script: str, logs: list[str], code: int, waits_grace: bool
) -> None:
    cid = start(rt, sandbox(rt), "main", script)
    clock.advance(1.5)
    took = stop(rt, clock, cid, 4)
    assert rt.logs(cid).splitlines() == logs
    assert rt.container_status(cid).exit_code == code
    assert (took >= 4) == waits_grace and took <= 4.2


def test_an_exit_in_a_later_round_ends_the_container(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    script = "i=0; while true; do i=$((i+1)); echo $i; if [ $i -ge 4 ]; then echo bye; exit 5; fi; sleep 1; done"
    cid = start(rt, sb, "main", script)
    clock.advance(2.5)
    assert rt.container_status(cid).state == "running"
    clock.advance(1)
    status = rt.container_status(cid)
    assert (status.state, status.exit_code, status.reason) == ("exited", 5, "Error")
    assert status.finished_at == pytest.approx(START + 3)
    assert rt.logs(cid).splitlines() == ["1", "2", "3", "4", "bye"]
    clock.advance(10)
    assert rt.logs(cid).splitlines()[-1] == "bye"


def test_a_background_loop_writes_while_the_script_goes_on(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    cid = start(rt, sb, "main", "i=0; while true; do echo $i > /tmp/n; i=$((i+1)); sleep 1; done & echo started; sleep 3600")
    clock.advance(2.5)
    assert rt.logs(cid) == "started\n"
    assert rt.exec(cid, ["cat", "/tmp/n"]).stdout == "2\n"


def test_kill_term_1_from_exec_runs_the_trap_after_the_current_sleep(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    looping = start(rt, sb, "looping", "trap 'echo bye; exit 0' TERM; while true; do sleep 2; done")
    plain = start(rt, sb, "plain", "sleep 3600")
    clock.advance(1)
    assert rt.exec(looping, ["kill", "-TERM", "1"]).exit_code == 0
    assert rt.exec(plain, ["kill", "-TERM", "1"]).exit_code == 0
    assert rt.container_status(looping).state == "running"  # still in `sleep 2`
    clock.advance(1.5)
    status = rt.container_status(looping)
    assert (status.state, status.exit_code, status.finished_at) == ("exited", 0, pytest.approx(START + 2))
    assert rt.logs(looping) == "bye\n"
    assert rt.container_status(plain).state == "running"  # PID 1 without a handler ignores SIGTERM


def test_follow_streams_each_new_round(rt: SimRuntime, clock: FakeClock) -> None:
    cid = start(rt, sandbox(rt), "main", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done")
    clock.advance(2.5)
    got: list[str] = []

    def read() -> None:
        for line in rt.follow_logs(cid, tail=1):
            got.append(line)
            if len(got) == 4:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 20
    while reader.is_alive() and time.monotonic() < deadline:
        clock.advance(0.5)
        reader.join(0.05)
    assert got == ["tick 2", "tick 3", "tick 4", "tick 5"]


def test_hostname_and_hostname_i_give_the_pod_name_and_ip(rt: SimRuntime) -> None:
    info = rt.create_sandbox(SandboxConfig(UID, POD, NS, NODE))
    cid = start(rt, info.id, "main", "sleep 3600")
    assert rt.exec(cid, ["hostname"]).stdout == POD + "\n"
    assert rt.exec(cid, ["hostname", "-i"]).stdout == info.ip + "\n"
    assert rt.exec(cid, ["cat", "/etc/hostname"]).stdout == POD + "\n"


def test_a_break_in_a_counting_loop_goes_on_with_the_script(rt: SimRuntime, clock: FakeClock) -> None:
    script = "i=0; while true; do i=$((i+1)); [ $i -gt 3 ] && break; echo $i; sleep 1; done; echo finished at $i"
    cid = start(rt, sandbox(rt), "main", script)
    clock.advance(3.5)
    status = rt.container_status(cid)
    assert (status.state, status.exit_code, status.finished_at) == ("exited", 0, pytest.approx(START + 3))
    assert rt.logs(cid).splitlines() == ["1", "2", "3", "finished at 4"]


def test_an_exit_after_many_rounds_ends_the_container(rt: SimRuntime, clock: FakeClock) -> None:
    script = "i=0; while true; do i=$((i+1)); if [ $i -ge 100 ]; then echo bye; exit 7; fi; sleep 1; done"
    cid = start(rt, sandbox(rt), "main", script)
    clock.advance(98.5)
    assert rt.container_status(cid).state == "running"
    clock.advance(1)
    status = rt.container_status(cid)
    assert (status.state, status.exit_code, status.finished_at) == ("exited", 7, pytest.approx(START + 99))
    assert rt.logs(cid) == "bye\n"
