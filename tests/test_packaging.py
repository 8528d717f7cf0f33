"""Packaging and the ``k8sedu`` command's shell: what a fresh install gives a student.

pyproject.toml and environment.yml must name the same dependencies (pip and conda users get the
same lessons); the ``k8sedu`` entry point must exist and answer; the package must carry the
offline images' build files and leave the lessons out.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from k8sedu import cli, doctor

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# conda-forge names that differ from the PyPI distribution's name.
CONDA_TO_PYPI = {"docker-py": "docker"}


def _name(requirement: str) -> str:
    """PEP 503 normalized project name of a requirement string ("PyYAML>=6" -> "pyyaml")."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


# --- declarations ---------------------------------------------------------------------------


def test_environment_yml_names_the_same_dependencies_as_pyproject() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["name"] == "k8sedu"
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    names = {_name(d) for d in conda} - {"python", "pip"}
    names = {CONDA_TO_PYPI.get(n, n) for n in names}
    assert names == {_name(d) for d in PYPROJECT["project"]["dependencies"]}
    assert "python=3.11" in conda
    assert pip == [{"pip": ["-e ."]}], "environment.yml installs the package itself with pip"


def test_dependencies_include_what_the_lessons_and_tests_import() -> None:
    runtime = {_name(d) for d in PYPROJECT["project"]["dependencies"]}
    assert {"jupyterlab", "ipywidgets", "plotly", "anywidget", "networkx", "docker", "pyyaml",
            "nbclient", "nbformat"} <= runtime
    test = {_name(d) for d in PYPROJECT["project"]["optional-dependencies"]["test"]}
    assert {"pytest", "pytest-timeout", "playwright", "kubernetes", "ruff", "mypy"} <= test
    assert PYPROJECT["project"]["requires-python"] == ">=3.10"


def test_entry_point_is_declared_and_installed() -> None:
    assert PYPROJECT["project"]["scripts"] == {"k8sedu": "k8sedu.cli:main"}
    installed = importlib.metadata.entry_points(group="console_scripts", name="k8sedu")
    assert [ep.value for ep in installed] == ["k8sedu.cli:main"], "pip install -e . first"


def test_pytest_config_declares_the_tiers_and_makes_warnings_errors() -> None:
    config = PYPROJECT["tool"]["pytest"]["ini_options"]
    assert {m.split(":")[0] for m in config["markers"]} == {"docker", "browser", "slow"}
    assert config["filterwarnings"][0] == "error"
    assert config["testpaths"] == ["tests"]


def test_scripts_parse_and_ci_runs_the_readme_test_command() -> None:
    scripts = [ROOT / ".ci" / "run", *sorted((ROOT / "scripts").glob("*.sh"))]
    result = subprocess.run(["bash", "-n", *map(str, scripts)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/lab.sh" in readme and "bash scripts/test.sh" in readme


# --- the package's files ---------------------------------------------------------------------


@pytest.mark.slow
def test_built_package_carries_image_files_and_not_the_lessons(tmp_path: Path) -> None:
    """setuptools' build_py on a copy of the checkout: what a wheel would contain."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "k8sedu", src / "k8sedu",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # An image build file at some depth, whether or not the runtime has its images yet.
    probe = src / "k8sedu" / "runtime" / "images" / "probe" / "Dockerfile"
    probe.parent.mkdir(parents=True, exist_ok=True)
    probe.write_text("FROM scratch\n")
    for pkg in (src / "k8sedu", src / "k8sedu" / "runtime"):
        (pkg / "__init__.py").touch()  # as the finished package has them
    (src / "notebooks").mkdir()
    (src / "notebooks" / "01-lesson.ipynb").write_text("{}")
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
         "--build-lib", str(out)],
        cwd=src, check=True, capture_output=True, timeout=120,
    )
    built = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert "k8sedu/cli.py" in built
    assert "k8sedu/runtime/images/probe/Dockerfile" in built
    assert "k8sedu/api/schema.json" in built  # the apiserver's field schema: no create works without it
    assert "k8sedu/server/openapi_docs.json" in built  # kubectl explain's descriptions (/openapi/v3)
    expected = {p.relative_to(src).as_posix() for p in (src / "k8sedu" / "runtime" / "images")
                .rglob("*") if p.is_file()}
    assert expected <= built
    assert not [p for p in built if p.startswith("notebooks") or "__pycache__" in p]


# --- the command --------------------------------------------------------------------------------


def test_python_m_k8sedu_help_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-m", "k8sedu", "--help"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for command in ("lab", "doctor", "images", "cleanup", "serve", "grade"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command
    assert "Kubernetes 原理课堂" in result.stdout


def test_grade_hands_its_arguments_to_the_grader(capfd: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["grade", "--anything"]) == 2  # argparse of k8sedu.grading.batch refuses it
    assert "usage: k8sedu grade" in capfd.readouterr().err


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_unknown_option_is_refused_except_for_lab() -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["doctor", "--bogus"])
    assert exc.value.code == 2


def test_lab_opens_the_table_of_contents_first(tmp_path: Path) -> None:
    (tmp_path / "02-pod.ipynb").write_text("{}")
    (tmp_path / "01-什么是k8s.ipynb").write_text("{}")
    assert cli.first_notebook(tmp_path) == "01-什么是k8s.ipynb"
    (tmp_path / cli.TOC).write_text("{}")
    cmd = cli.lab_command(tmp_path, port=9999, open_browser=False, extra=["--ServerApp.token=x"])
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path}" in cmd
    assert "--ServerApp.file_to_run=00-目录.ipynb" in cmd
    assert {"--port=9999", "--no-browser"} <= set(cmd)
    assert cmd[-1] == "--ServerApp.token=x"
    assert cli.first_notebook(tmp_path / "missing") is None


@pytest.mark.slow
def test_lab_command_starts_jupyterlab_on_the_lessons(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / cli.TOC).write_text(json.dumps(
        {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = cli.lab_command(lessons, port=port, open_browser=False,
                          extra=["--IdentityProvider.token=k8sedu-test", "--ServerApp.port_retries=0",
                                 "--ServerApp.ip=127.0.0.1"])
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}/api/contents?token=k8sedu-test"
        deadline = time.monotonic() + 90
        listing = None
        while listing is None:
            assert server.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "jupyter lab did not answer in 90 s"
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.load(response)
            except OSError:
                time.sleep(0.2)
        assert [item["name"] for item in listing["content"]] == [cli.TOC]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_lab_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lab", "--notebook-dir", str(tmp_path / "nope")]) == 1
    assert "lessons folder not found" in capsys.readouterr().err


# --- doctor ---------------------------------------------------------------------------------------


def _doctor(monkeypatch: pytest.MonkeyPatch, docker: tuple[bool, str], strict: bool = False,
            **checks: Any) -> tuple[int, str]:
    monkeypatch.setattr(doctor, "docker_status", lambda timeout=3: docker)
    monkeypatch.setattr(doctor, "check_kubectl",
                        lambda: doctor.Check("ok", "kubectl 可用", "kubectl found"))
    for name, check in checks.items():
        monkeypatch.setattr(doctor, name, check)
    out = io.StringIO()
    return doctor.main(strict=strict, out=out), out.getvalue()


def test_doctor_without_docker_explains_and_still_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    code, out = _doctor(monkeypatch, (False, "Error while fetching server API version"))
    assert code == 0
    assert "✗ Docker 引擎不可用" in out and "simulated runtime" in out
    assert "sudo apt-get install docker.io" in out
    assert "– 离线镜像：跳过（Docker 不可用） / offline images: skipped" in out
    assert all(" / " in line for line in out.splitlines()), "every line in Chinese and English"
    strict, _ = _doctor(monkeypatch, (False, "down"), strict=True)
    assert strict == 1


def test_doctor_says_when_openssl_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = doctor.shutil.which
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None if name == "openssl" else real_which(name))
    code, out = _doctor(monkeypatch, (True, "Docker 28"))
    assert "✗ openssl（k8sedu serve 的证书）未找到 / openssl (k8sedu serve's certificate) not found" in out
    assert "apt-get install openssl" in out
    strict, _ = _doctor(monkeypatch, (True, "Docker 28"), strict=True)
    assert strict == 1


def test_doctor_suggests_docker_desktop_on_a_mac(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    _, out = _doctor(monkeypatch, (False, "connection refused"))
    assert "Docker Desktop" in out


def test_doctor_fails_when_an_essential_check_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = doctor.Check("fail", "Python 依赖缺失", "Python dependencies missing",
                          detail="plotly", fix="pip install -e .", essential=True)
    code, out = _doctor(monkeypatch, (True, "Docker 99"), check_dependencies=lambda: broken)
    assert code == 1
    assert "✗ Python 依赖缺失 / Python dependencies missing: plotly\n    修复 / fix: pip install -e ." in out
    assert "✓ Docker 引擎可用 / Docker engine reachable: Docker 99" in out


def test_doctor_reports_missing_images(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.SimpleNamespace(missing_images=lambda client: ["k8sedu/web:v2"])
    monkeypatch.setitem(sys.modules, "k8sedu.runtime.images", fake)
    monkeypatch.setattr(doctor, "docker_client", lambda timeout=3: _FakeClient())
    check = doctor.check_images(docker_ok=True)
    assert (check.status, check.detail) == ("fail", "k8sedu/web:v2")
    assert "k8sedu images build" in check.fix


def test_doctor_dependency_check_reads_the_installed_metadata() -> None:
    assert doctor.check_dependencies().ok  # this environment has every dependency installed


# --- images and cleanup, on stand-ins for the runtime -------------------------------------------


class _FakeClient:
    closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_docker_up(monkeypatch: pytest.MonkeyPatch) -> _FakeClient:
    client = _FakeClient()
    monkeypatch.setattr(doctor, "docker_status", lambda timeout=3: (True, "Docker test"))
    monkeypatch.setattr(doctor, "docker_client", lambda timeout=3: client)
    return client


def test_images_build_then_list(monkeypatch: pytest.MonkeyPatch, fake_docker_up: _FakeClient,
                                capsys: pytest.CaptureFixture[str]) -> None:
    built: list[bool] = []
    state = {"missing": ["k8sedu/web:v1"]}

    def build_images(client: Any, progress: Any = None, force: bool = False) -> list[str]:
        assert client is fake_docker_up
        progress("正在准备离线镜像 (preparing offline images): k8sedu/web:v1")
        built.append(force)
        state["missing"] = []
        return ["k8sedu/web:v1"]

    def missing_images(client: Any) -> list[str]:
        assert client is fake_docker_up
        return state["missing"]

    fake = types.SimpleNamespace(
        IMAGES=["k8sedu/pause", "k8sedu/web:v1"],
        missing_images=missing_images,
        build_images=build_images,
    )
    monkeypatch.setitem(sys.modules, "k8sedu.runtime.images", fake)
    assert cli.main(["images", "list"]) == 1
    assert "✗ k8sedu/web:v1  未构建 / not built" in capsys.readouterr().out
    assert cli.main(["images", "build", "--force"]) == 0
    assert built == [True]
    out = capsys.readouterr().out
    assert "preparing offline images" in out
    assert "✓ k8sedu/pause" in out and "✓ k8sedu/web:v1" in out
    assert fake_docker_up.closed


def test_images_need_docker(monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(doctor, "docker_status", lambda timeout=3: (False, "no socket"))
    assert cli.main(["images", "list"]) == 1
    assert "Docker engine unreachable" in capsys.readouterr().err


@pytest.mark.usefixtures("fake_docker_up")
@pytest.mark.parametrize(("argv", "only_dead"), [(["cleanup"], True), (["cleanup", "--all"], False)])
def test_cleanup_prints_what_it_removed(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str],
                                        argv: list[str], only_dead: bool) -> None:
    calls: list[bool] = []

    class Report:
        def __str__(self) -> str:
            return "已清理 1 个集群的残留资源 (removed 2 containers ... of 1 clusters: 3f9a1c)"

    def cleanup_all(only_dead: bool = True, client: Any = None) -> Report:
        calls.append(only_dead)
        return Report()

    monkeypatch.setitem(sys.modules, "k8sedu.runtime", types.SimpleNamespace(cleanup_all=cleanup_all))
    assert cli.main(argv) == 0
    assert calls == [only_dead]
    assert "removed 2 containers ... of 1 clusters: 3f9a1c" in capsys.readouterr().out


@pytest.mark.docker
def test_cleanup_against_the_engine_reports_in_both_languages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["cleanup"]) == 0
    out = capsys.readouterr().out
    assert "nothing left behind" in out or "removed" in out


# --- the test tiers (tests/conftest.py), in a pytest of their own -------------------------------

TIER_TESTS = '''
import pytest

@pytest.mark.docker
def test_needs_docker():
    pass

@pytest.mark.browser
def test_needs_browser(browser_required):
    assert browser_required["executable_path"]

def test_plain():
    pass

@pytest.fixture(scope="module")
def shared_cluster(request):  # a wider-scoped fixture may ask for a tier too
    request.getfixturevalue("docker_required")

def test_uses_shared_cluster(shared_cluster):
    pass
'''


@pytest.mark.parametrize("required", [False, True])
def test_tiers_skip_or_fail_without_their_tools(tmp_path: Path, required: bool) -> None:
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    docker\n    browser\n")
    (tmp_path / "test_tiers.py").write_text(TIER_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8SEDU_REQUIRE_")}
    env |= {"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock",
            "K8SEDU_CHROMIUM": f"{tmp_path}/no-chromium"}
    if required:
        env |= {"K8SEDU_REQUIRE_DOCKER": "1", "K8SEDU_REQUIRE_BROWSER": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    out = result.stdout
    if required:
        assert result.returncode == 1, out
        assert "1 passed, 3 errors" in out  # failed in setup: reported as errors
        assert "Docker engine is required (K8SEDU_REQUIRE_DOCKER=1) but unavailable" in out
        assert "headless Chromium is required (K8SEDU_REQUIRE_BROWSER=1)" in out
    else:
        assert result.returncode == 0, out
        assert "1 passed, 3 skipped" in out
        assert "SKIPPED" in out and "Docker engine unavailable" in out


@pytest.mark.browser
def test_browser_tier_launches_chromium_with_the_conftest_options(
    browser_required: dict[str, Any],
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**browser_required)
        try:
            page = browser.new_page()
            page.set_content("<html lang='zh'><body><h1 id='t'>Kubernetes 原理课堂</h1></body></html>")
            assert page.inner_text("#t") == "Kubernetes 原理课堂"
        finally:
            browser.close()
