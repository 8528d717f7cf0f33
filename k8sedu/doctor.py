"""``k8sedu doctor``: is this machine ready for the lessons, and if not, what to do about it.

Students run it first when something does not work, teachers run it on a lab server before class.
Each check prints one line in Chinese and English, ✓ or ✗ (– when it could not be asked), and a
fix under every ✗. Only the Python side is *essential*: without Docker the lessons run on the
simulated runtime, and the real kubectl is needed only by ``k8sedu serve``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

__all__ = [
    "Check",
    "check_python",
    "check_dependencies",
    "check_docker",
    "check_images",
    "check_fonts",
    "check_kubectl",
    "docker_client",
    "docker_status",
    "run_checks",
    "format_check",
    "main",
]

OK, FAIL, SKIP = "ok", "fail", "skip"
MARK = {OK: "✓", FAIL: "✗", SKIP: "–"}


@dataclass(frozen=True)
class Check:
    """The answer to one question about the machine."""

    status: str  # "ok" | "fail" | "skip"
    zh: str  # what was checked, in Chinese
    en: str  # the same, in English
    detail: str = ""  # what was found: a version, a path, an error
    fix: str = ""  # what to do about a ✗, in both languages
    essential: bool = False  # a ✗ here makes `k8sedu doctor` exit 1

    @property
    def ok(self) -> bool:
        return self.status == OK


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    good = sys.version_info >= (3, 10)
    return Check(
        OK if good else FAIL,
        f"Python {version}（需要 ≥ 3.10）",
        f"Python {version} (needs ≥ 3.10)",
        fix="" if good else "安装 Python 3.10 或更新版本 / install Python 3.10 or newer",
        essential=True,
    )


def check_dependencies() -> Check:
    """Every runtime dependency that pyproject.toml declares is installed."""
    zh, en = "Python 依赖", "Python dependencies"
    try:
        requires = importlib.metadata.requires("k8sedu") or []
    except importlib.metadata.PackageNotFoundError:
        return Check(
            FAIL, f"{zh}：k8sedu 未安装", f"{en}: k8sedu is not installed",
            fix="bash scripts/lab.sh（或 / or: pip install -e .）", essential=True,
        )
    missing = []
    for req in requires:
        if "extra ==" in req:
            continue
        match = re.match(r"[A-Za-z0-9._-]+", req)
        if match is None:
            continue
        try:
            importlib.metadata.version(match.group(0))
        except importlib.metadata.PackageNotFoundError:
            missing.append(match.group(0))
    if missing:
        return Check(
            FAIL, f"{zh}缺失", f"{en} missing", detail=", ".join(missing),
            fix="pip install -e .（在仓库目录中 / in the checkout）", essential=True,
        )
    return Check(OK, f"{zh}已安装", f"{en} installed")


def docker_client(timeout: float = 3) -> Any:
    """A ``docker.DockerClient`` from the environment (DOCKER_HOST or the default socket)."""
    import docker

    return docker.from_env(timeout=timeout)


def docker_status(timeout: float = 3) -> tuple[bool, str]:
    """``(reachable, detail)``: the engine's version, or why it cannot be reached."""
    try:
        client = docker_client(timeout)
    except Exception as e:  # DockerException: no socket, bad DOCKER_HOST...
        return False, str(e)
    try:
        client.ping()
        return True, f"Docker {client.version().get('Version', '?')}"
    except Exception as e:
        return False, str(e)
    finally:
        client.close()


def _docker_fix(detail: str) -> str:
    if "ermission denied" in detail:
        return ("把当前用户加入 docker 组后重新登录 / add yourself to the docker group and log in "
                "again: sudo usermod -aG docker $USER")
    if sys.platform in ("darwin", "win32"):
        return "安装并启动 Docker Desktop / install and start Docker Desktop"
    return ("安装并启动 Docker / install and start Docker: sudo apt-get install docker.io; "
            "sudo systemctl start docker（无 systemd 时 / without systemd: sudo dockerd &）")


def check_docker(status: tuple[bool, str] | None = None) -> Check:
    ok, detail = status if status is not None else docker_status()
    if ok:
        return Check(OK, "Docker 引擎可用", "Docker engine reachable", detail=detail)
    return Check(
        FAIL,
        "Docker 引擎不可用（课程将使用模拟运行时）",
        "Docker engine unreachable (the lessons will use the simulated runtime)",
        detail=detail,
        fix=_docker_fix(detail),
    )


def check_images(docker_ok: bool) -> Check:
    zh, en = "离线镜像", "offline images"
    if not docker_ok:
        return Check(SKIP, f"{zh}：跳过（Docker 不可用）", f"{en}: skipped (Docker unreachable)")
    try:
        images = importlib.import_module("k8sedu.runtime.images")
    except ImportError as e:
        return Check(SKIP, f"{zh}：暂无法检查", f"{en}: cannot be checked yet", detail=str(e))
    try:
        client = docker_client(timeout=30)
        try:
            missing = list(images.missing_images(client))
        finally:
            client.close()
    except Exception as e:
        return Check(FAIL, f"{zh}：检查失败", f"{en}: check failed", detail=str(e),
                     fix="k8sedu images build")
    if missing:
        return Check(FAIL, f"{zh}未构建", f"{en} not built", detail=", ".join(map(str, missing)),
                     fix="k8sedu images build（离线即可构建 / builds offline）")
    return Check(OK, f"{zh}已构建", f"{en} built")


def check_fonts() -> Check:
    zh, en = "中文字体", "CJK fonts"
    if sys.platform in ("darwin", "win32"):
        return Check(OK, f"{zh}：系统自带", f"{en}: provided by the system")
    fix = ("sudo apt-get install fonts-noto-cjk（浏览器才能显示中文 / so the browser shows Chinese）")
    if shutil.which("fc-list") is None:
        return Check(FAIL, f"{zh}：未找到 fc-list", f"{en}: fc-list not found", fix=fix)
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                             timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        return Check(FAIL, f"{zh}：检查失败", f"{en}: check failed", detail=str(e), fix=fix)
    families = sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})
    if not families:
        return Check(FAIL, f"{zh}缺失", f"{en} missing", fix=fix)
    shown = ", ".join(families[:2]) + (" …" if len(families) > 2 else "")
    return Check(OK, f"{zh}已安装", f"{en} installed", detail=shown)


def check_kubectl() -> Check:
    zh, en = "kubectl（k8sedu serve 使用）", "kubectl (used by k8sedu serve)"
    path = shutil.which("kubectl")
    fix = ("安装 kubectl（可选）/ install kubectl (optional): "
           "https://kubernetes.io/docs/tasks/tools/")
    if path is None:
        return Check(FAIL, f"{zh}未找到", f"{en} not found", fix=fix)
    try:
        out = subprocess.run([path, "version", "--client", "-o", "json"], capture_output=True,
                             text=True, timeout=20, check=False).stdout
        version = json.loads(out)["clientVersion"]["gitVersion"]
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
        return Check(FAIL, f"{zh}无法运行", f"{en} does not run", detail=f"{path}: {e}", fix=fix)
    return Check(OK, f"{zh}可用", f"{en} found", detail=f"{version} {path}")


def check_openssl() -> Check:
    """``k8sedu serve`` speaks HTTPS (kubectl sends no token over http); openssl makes its certificate."""
    zh, en = "openssl（k8sedu serve 的证书）", "openssl (k8sedu serve's certificate)"
    path = shutil.which("openssl")
    if path is None:
        return Check(FAIL, f"{zh}未找到", f"{en} not found",
                     fix="sudo apt-get install openssl（或系统的包管理器 / or your package manager）")
    return Check(OK, f"{zh}可用", f"{en} found", detail=path)


def run_checks() -> list[Check]:
    docker = docker_status()
    checks: list[Callable[[], Check]] = [
        check_python,
        check_dependencies,
        lambda: check_docker(docker),
        lambda: check_images(docker[0]),
        check_fonts,
        check_kubectl,
        check_openssl,
    ]
    return [check() for check in checks]


def format_check(check: Check) -> str:
    line = f"{MARK[check.status]} {check.zh} / {check.en}"
    if check.detail:
        line += f": {check.detail}"
    if check.fix and check.status == FAIL:
        line += f"\n    修复 / fix: {check.fix}"
    return line


def main(strict: bool = False, out: TextIO | None = None) -> int:
    """Print every check; 0 when the essential ones (all of them with *strict*) pass."""
    out = out or sys.stdout
    print("k8sedu doctor: 环境检查 / environment check", file=out)
    checks = run_checks()
    for check in checks:
        print(format_check(check), file=out)
    failed = [c for c in checks if c.status == FAIL and (c.essential or strict)]
    if failed:
        print(f"✗ {len(failed)} 项必需检查未通过 / {len(failed)} essential check(s) failed", file=out)
        return 1
    print("✓ 可以开始上课 / ready for the lessons", file=out)
    return 0
