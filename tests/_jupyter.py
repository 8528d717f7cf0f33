"""A real JupyterLab server, a Chromium that Docker cannot disturb, and the browser steps of a lesson.

Why a helper: the browser tier (DESIGN.md §7) checks what a student actually sees, so it runs the
lessons in a genuine JupyterLab, in headless Chromium. Doing that reproducibly takes details that
would drown the tests themselves.

The server (``JupyterLab``) is isolated from the user's Jupyter: fresh config, data, runtime,
settings and workspace folders in a temporary directory. It runs with the venv's Python
(``python -m jupyter lab``), so the kernel spec ``python3``, whose argv starts with ``python``,
launches that same interpreter and its ipykernel: no kernel dialog. The news question ("Would you
like to receive official Jupyter news?"), the update check, autosave (which would write outputs
into the lesson files) and cell windowing (which detaches cells outside the viewport from the DOM)
are switched off through user settings; checkpoints go to the temporary directory. It is stopped through ``DELETE /api/kernels/<id>`` and
``POST /api/shutdown``, so the kernels, which run in sessions of their own, end too.

The browser (``isolate_browser_network``): Chromium fails requests and WebSocket handshakes in
flight with ``net::ERR_NETWORK_CHANGED`` whenever an address appears on any interface, and Docker
adds one (an IPv6 link-local address on a new veth) for every container it starts, ours included.
A JupyterLab that lost a script chunk or its kernel socket that way never finishes. So where we may
(root, or CAP_SYS_ADMIN), Chromium runs in a network namespace of its own that holds only ``lo``:
no Docker interface ever shows up there. A small relay in the same namespace listens on
127.0.0.1:<port> and dials the real server in the host's namespace, so URLs do not change. Where
we may not, ``route_through_driver`` serves the page's HTTP requests from Playwright's driver,
which does not watch interfaces (WebSockets then stay exposed; JupyterLab reconnects them).

The lesson steps: ``open_notebook``, ``run_all_cells`` (the menu, Run → Run All Cells, as a student
would), ``wait_until_done`` (DOM conditions only: the toolbar's execution indicator and the cells'
prompts), ``error_outputs``, ``expand_viewport_to_notebook`` (for a screenshot of every cell).
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ERROR_OUTPUTS_JS",
    "JupyterLab",
    "LAB_SETTINGS",
    "cell_prompts",
    "error_outputs",
    "expand_viewport_to_notebook",
    "free_port",
    "isolate_browser_network",
    "netns_available",
    "open_notebook",
    "route_through_driver",
    "run_all_cells",
    "venv_python",
    "wait_until_done",
    "write_lab_settings",
]

REPO = Path(__file__).resolve().parent.parent

# User settings, keyed by schema folder/file as JupyterLab stores them in its settings dir.
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # No news question, no update check, no toasts over the notebook in screenshots.
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    # Never write the executed notebook back into the repository.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Keep every cell attached to the DOM, so we can read (and photograph) all of them, and end
    # the notebook at its last cell (no blank screen after it).
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
}


def venv_python() -> str:
    """The project venv's interpreter if there is one, else the one running the tests."""
    candidate = REPO / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_lab_settings(settings_dir: Path, settings: dict[str, dict[str, Any]] = LAB_SETTINGS) -> None:
    for key, values in settings.items():
        path = settings_dir / f"{key}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2), encoding="utf-8")


# --- the server ---------------------------------------------------------------------------------


@dataclass
class JupyterLab:
    """One ``jupyter lab`` subprocess on 127.0.0.1, with a token, serving ``root_dir``."""

    root_dir: Path
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    token: str = ""
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and return once ``/api`` answers; fail with its log if it does not."""
        self.port = free_port()
        self.token = secrets.token_hex(16)
        dirs = {name: self.workdir / name
                for name in ("config", "data", "runtime", "settings", "workspaces", "checkpoints")}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        write_lab_settings(dirs["settings"])
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env)
        cmd = [
            venv_python(), "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.terminals_enabled=False",
            # JupyterLab makes a checkpoint when it opens a notebook: keep it out of the repository.
            f"--FileCheckpoints.checkpoint_dir={dirs['checkpoints']}",
            f"--LabApp.user_settings_dir={dirs['settings']}",
            f"--LabApp.workspaces_dir={dirs['workspaces']}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log_path = self.workdir / "jupyterlab.log"
        with open(self.log_path, "wb") as log:
            # Its own session, so a stuck server can be killed as a group without touching us.
            self.proc = subprocess.Popen(cmd, cwd=self.root_dir, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            try:
                # Waiting on the process doubles as the pause between tries: it may exit.
                self.proc.wait(timeout=0.2)
                raise RuntimeError(f"jupyter lab exited with code {self.proc.returncode}:\n{self.log()}")
            except subprocess.TimeoutExpired:
                pass
            try:
                if "version" in self.api("/api", timeout=5):
                    return
            except (OSError, ValueError) as e:  # URLError is an OSError
                last_error = str(e)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer {self.base_url}/api within {timeout:.0f}s "
                           f"({last_error}):\n{self.log()}")

    def log(self) -> str:
        """The end of the server's log (its kernels write there too)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]

    def api(self, path: str, method: str = "GET", timeout: float = 10.0) -> Any:
        """Call the server's REST API with the token; the decoded JSON (or None when empty)."""
        req = urllib.request.Request(self.base_url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"},
                                     data=b"" if method in {"POST", "PUT", "PATCH"} else None)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def lab_url(self, notebook: str) -> str:
        """The JupyterLab URL that opens ``notebook`` (relative to root_dir) in a fresh workspace."""
        return f"{self.base_url}/lab/tree/{urllib.parse.quote(notebook)}?reset&token={self.token}"

    def stop(self, timeout: float = 30.0) -> None:
        """Shut down every kernel, then the server; kill it (as a group) only if it will not go."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                for kernel in self.api("/api/kernels"):
                    self.api(f"/api/kernels/{kernel['id']}", method="DELETE", timeout=timeout)
                self.api("/api/shutdown", method="POST", timeout=timeout)
            except (OSError, ValueError):
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
        self.proc = None


# --- Chromium in a network namespace of its own ---------------------------------------------------
#
#   host namespace                          Chromium's namespace (only lo)
#   jupyter lab  127.0.0.1:PORT  <-------   relay  127.0.0.1:PORT  <---  chromium
#   docker0, veth… (come and go)            (nothing ever changes here)
#
# The relay is this file run as a script (``_jupyter.py netns-chromium PORT CHROMIUM ARGS…``),
# started by Playwright in Chromium's place through a two-line wrapper. It unshares its network
# namespace, brings lo up, listens, and starts Chromium as its child, which inherits the namespace
# and Playwright's pipes (fds 3 and 4). Its accepting thread moves back into the host's namespace
# (setns is per thread), so every upstream socket it opens reaches the real server.

_CLONE_NEWNET = 0x40000000
_PR_SET_CHILD_SUBREAPER = 36
_SIOCSIFFLAGS = 0x8914
_IFF_UP, _IFF_LOOPBACK, _IFF_RUNNING = 0x1, 0x8, 0x40


def _libc() -> Any:
    import ctypes
    import ctypes.util

    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _enter_private_netns() -> int:
    """Move this process into a new network namespace with lo up; an fd of the old one."""
    import ctypes
    import fcntl
    import struct

    host_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
    if _libc().unshare(_CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        os.close(host_ns)
        raise OSError(err, f"unshare(CLONE_NEWNET): {os.strerror(err)}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sh22x", b"lo", _IFF_UP | _IFF_LOOPBACK | _IFF_RUNNING)
        fcntl.ioctl(s.fileno(), _SIOCSIFFLAGS, ifreq)
    return host_ns


def _pipe(src: socket.socket, dst: socket.socket, done: threading.Semaphore) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    if not done.acquire(blocking=False):  # the second direction to finish closes both
        src.close()
        dst.close()


def _relay(listener: socket.socket, host_ns: int, port: int) -> None:
    import ctypes

    if _libc().setns(host_ns, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
            upstream.settimeout(None)
        except OSError:
            client.close()
            continue
        done = threading.Semaphore(1)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b, done), daemon=True).start()


def _netns_chromium(port: int, argv: list[str]) -> int:
    """Run Chromium (``argv``) in a private network namespace, relaying 127.0.0.1:port out."""
    # Playwright's pipes (and anything else it handed down) go on to Chromium.
    inherited = tuple(fd for fd in range(3, 64) if _fd_inheritable(fd))
    try:
        host_ns = _enter_private_netns()
    except OSError as e:
        print(f"k8sedu tests: Chromium shares the host's network ({e})", file=sys.stderr)
        os.execv(argv[0], argv)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    threading.Thread(target=_relay, args=(listener, host_ns, port), daemon=True).start()
    # Chromium's helpers outlive it by a moment: adopt them (subreaper) and reap them, rather
    # than leave zombies to init.
    _libc().prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    child = subprocess.Popen(argv, pass_fds=inherited)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
    code = child.wait()
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return code


def _fd_inheritable(fd: int) -> bool:
    try:
        return os.get_inheritable(fd)
    except OSError:
        return False


@functools.cache
def netns_available() -> bool:
    """Whether this machine lets us give Chromium a network namespace of its own."""
    if not sys.platform.startswith("linux"):
        return False
    probe = subprocess.run([sys.executable, __file__, "netns-probe"], capture_output=True, timeout=30)
    return probe.returncode == 0


def isolate_browser_network(options: dict[str, Any], port: int, workdir: Path) -> bool:
    """Point ``options`` (Playwright launch options) at Chromium in a namespace of its own.

    Returns False, leaving ``options`` alone, where no namespace can be made; the caller then
    uses ``route_through_driver``.
    """
    if not netns_available():
        return False
    wrapper = workdir / "chromium-netns"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec '{sys.executable}' '{__file__}' netns-chromium {port} '{options['executable_path']}' \"$@\"\n",
        encoding="utf-8")
    wrapper.chmod(0o755)
    options["executable_path"] = str(wrapper)
    return True


def route_through_driver(context: Any, base_url: str) -> None:
    """Serve the server's HTTP responses from Playwright's driver, not Chromium; refuse the rest.

    The fallback where Chromium cannot get a namespace of its own: the driver's HTTP client does
    not watch interfaces, so these requests survive Docker's network changes. The document itself
    stays in Chromium (served from the driver, Chromium would count the page as public and refuse
    its WebSockets to 127.0.0.1 under Local Network Access); ``open_notebook`` retries it.
    Anything not served by our JupyterLab is refused at once: the network is closed.
    """

    def fetch(route: Any) -> None:
        if route.request.is_navigation_request():
            route.fallback()
            return
        try:
            route.fulfill(response=route.fetch(max_redirects=0, max_retries=3))
        except Exception:  # the page or the server is going away: nothing to deliver
            try:
                route.abort()
            except Exception:
                pass

    context.route(lambda url: not url.startswith(base_url), lambda route: route.abort())
    context.route(lambda url: url.startswith(base_url), fetch)


# --- the lesson in the browser (Playwright sync API; ``page`` is a playwright.sync_api.Page) ------

_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def _js(source: str, **parts: str) -> str:
    """A JavaScript function from ``source``, with PANEL and the ``parts`` (other functions) put in."""
    source = source.replace("PANEL", _PANEL)
    for name, part in parts.items():
        source = source.replace(name.upper(), part.strip())
    return source.strip()


# Output areas that hold a real error. JupyterLab renders an ``error`` output as stderr text of its
# traceback (keeping the error mime in the bundle), so stderr alone is not an error: our progress
# notes go there. Returns the texts of those outputs.
ERROR_OUTPUTS_JS = _js("""
() => {
  const found = [];
  for (const el of document.querySelectorAll('PANEL .jp-OutputArea-output')) {
    const mime = el.getAttribute('data-mime-type') || '';
    const text = el.innerText || '';
    if (mime === 'application/vnd.jupyter.error' || /Traceback/.test(text)) found.push(text);
  }
  return found;
}
""")

_STATUS_JS = _js("""
() => {
  const i = document.querySelector('PANEL .jp-Notebook-ExecutionIndicator');
  return i ? i.getAttribute('data-status') : null;
}
""")

_PROMPTS_JS = _js("""
() => [...document.querySelectorAll('PANEL .jp-CodeCell .jp-InputArea-prompt')]
  .map(p => p.textContent.trim())
""")

_STARTED_JS = _js(r"() => (PROMPTS)().some(t => /\[(\*|\d+)\]/.test(t))", prompts=_PROMPTS_JS)

_DONE_JS = _js(r"""
() => {
  if ((STATUS)() !== 'idle') return false;
  const prompts = (PROMPTS)();
  if (prompts.length === 0 || prompts.some(t => t.includes('*'))) return false;
  if (/\[\d+\]/.test(prompts[prompts.length - 1])) return true;
  // Run All stops at a failing cell: done too, with an error output to report.
  return (ERRORS)().length > 0;
}
""", status=_STATUS_JS, prompts=_PROMPTS_JS, errors=ERROR_OUTPUTS_JS)

_MEASURE_JS = _js("""
() => {
  const outer = document.querySelector('PANEL .jp-WindowedPanel-outer')
    || document.querySelector('PANEL .jp-Notebook');
  return {scroll: outer.scrollHeight, client: outer.clientHeight};
}
""")

_SCROLL_TOP_JS = _js("""
() => {
  for (const el of document.querySelectorAll('PANEL .jp-WindowedPanel-outer, PANEL .jp-Notebook'))
    el.scrollTop = 0;
}
""")


def open_notebook(page: Any, lab: JupyterLab, notebook: str, timeout_ms: int = 60_000) -> None:
    """Open the notebook and wait until its kernel is connected (server side) and idle (DOM)."""
    for attempt in range(5):
        try:
            page.goto(lab.lab_url(notebook), wait_until="domcontentloaded", timeout=timeout_ms)
            break
        except Exception as e:  # playwright.sync_api.Error; only a network change is retried
            if "ERR_NETWORK_CHANGED" not in str(e) or attempt == 4:
                raise
    page.wait_for_selector(f"{_PANEL} .jp-Notebook .jp-Cell", timeout=timeout_ms)
    # The toolbar says "idle" before a kernel exists; the server knows when the page is connected.
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        sessions = [s for s in lab.api("/api/sessions") if s.get("path", "").endswith(notebook)]
        kernel = sessions[0]["kernel"] if sessions else {}
        if kernel.get("connections", 0) >= 1 and kernel.get("execution_state") == "idle":
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"the kernel of {notebook} never connected: {sessions}\n{lab.log()}")
        page.wait_for_timeout(250)  # the pause between two questions to the server
    page.wait_for_function(_js("() => (STATUS)() === 'idle'", status=_STATUS_JS), timeout=timeout_ms)
    # Fold the file browser away: the screenshots are of the lesson, not of the folder.
    current = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if current.count():
        current.first.click()
        page.wait_for_selector("#jp-left-stack", state="hidden", timeout=timeout_ms)


def run_all_cells(page: Any, timeout_ms: int = 30_000) -> None:
    """Run → Run All Cells, through the menu bar, and wait until the first cell has started."""
    page.locator(f"{_PANEL} .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.locator(".lm-MenuBar-item", has_text="Run").first.click(timeout=timeout_ms)
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
    page.locator(".lm-Menu-item:not(.lm-mod-disabled)").filter(has=label).first.click(timeout=timeout_ms)
    page.wait_for_function(_STARTED_JS, timeout=timeout_ms)


def wait_until_done(page: Any, timeout_ms: int) -> None:
    """Wait until the kernel is idle and the last code cell has an execution count (or an error)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(_DONE_JS, timeout=timeout_ms, polling=250)
    except PlaywrightTimeout:
        raise AssertionError(f"the notebook did not finish within {timeout_ms / 1000:.0f}s: kernel "
                             f"{page.evaluate(_STATUS_JS)}, prompts {cell_prompts(page)}") from None


def error_outputs(page: Any) -> list[str]:
    return list(page.evaluate(ERROR_OUTPUTS_JS))


def cell_prompts(page: Any) -> list[str]:
    return list(page.evaluate(_PROMPTS_JS))


def expand_viewport_to_notebook(page: Any, width: int, max_height: int = 30_000) -> None:
    """Make the window as tall as the notebook, so a full-page screenshot holds every cell.

    JupyterLab's page never scrolls (the notebook scrolls inside it), so Playwright's
    ``full_page`` alone would only show the first screen.
    """
    for _ in range(3):  # outputs can reflow once the size changes
        m = page.evaluate(_MEASURE_JS)
        if m["scroll"] <= m["client"] + 2:
            break
        current = page.viewport_size["height"]
        height = min(max_height, current + m["scroll"] - m["client"] + 40)
        if height == current:
            break
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function("(h) => window.innerHeight === h", arg=height, timeout=10_000)
    page.evaluate(_SCROLL_TOP_JS)


def _main(argv: list[str]) -> int:
    if argv[:1] == ["netns-probe"]:
        try:
            _enter_private_netns()
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                s.listen(1)
        except OSError as e:
            print(e, file=sys.stderr)
            return 1
        return 0
    if argv[:1] == ["netns-chromium"] and len(argv) >= 3:
        return _netns_chromium(int(argv[1]), argv[2:])
    print("usage: _jupyter.py netns-probe | netns-chromium PORT CHROMIUM [ARGS...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
