"""Test tiers: which tests need a Docker engine or a browser, and what happens when one is missing.

Three tiers share ``tests/`` (DESIGN.md §7): fast tests on the simulated runtime, tests marked
``docker`` that need a real engine, and tests marked ``browser`` that need Debian's Chromium and
Playwright. The markers are declared in pyproject.toml; this file gives them their meaning:

- a test marked ``docker`` uses the ``docker_required`` fixture, one marked ``browser`` uses
  ``browser_required`` (nothing to write in the test itself);
- when the tool is missing the test is **skipped**, unless ``K8SEDU_REQUIRE_DOCKER=1`` /
  ``K8SEDU_REQUIRE_BROWSER=1`` is set (``scripts/test.sh`` and CI set both): then it **fails** with
  a message that says how to fix it, so no tier can silently skip in CI.

The Docker check here is the canonical one for the test suite: use ``docker_status()`` rather than
another ping.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("K8SEDU_CHROMIUM", "/usr/bin/chromium")

# Flags for headless Chromium on a closed network, as root, in a container: without the
# background-networking ones it keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _required(var: str) -> bool:
    return os.environ.get(var, "").strip().lower() in {"1", "true", "yes"}


@functools.cache
def docker_status() -> tuple[bool, str]:
    """``(reachable, detail)`` for the Docker engine, asked once per test session."""
    try:
        import docker

        from k8sedu.runtime import docker_reachable
    except ImportError as e:  # pragma: no cover - docker is a dependency
        return False, f"the docker Python package is not installed ({e})"
    # Probe the socket first: the SDK leaks the socket of a failed first connection, which
    # warnings-as-errors would turn into an error in whatever test runs next.
    if not docker_reachable(timeout=5):
        return False, "no Docker engine answers on its socket (is dockerd running?)"
    try:
        client = docker.from_env(timeout=5)
    except Exception as e:  # DockerException: no socket, bad DOCKER_HOST...
        return False, f"{type(e).__name__}: {e}"
    try:
        client.ping()
        version = client.version().get("Version", "?")
    except Exception as e:
        return False, f"{type(e).__name__}: {e}"
    finally:
        client.close()
    return True, f"Docker {version}"


@functools.cache
def browser_status() -> tuple[bool, str]:
    """``(usable, detail)`` for headless Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        return False, f"{CHROMIUM} not found"
    if importlib.util.find_spec("playwright") is None:
        return False, "the playwright Python package is not installed"
    return True, CHROMIUM


def _missing(what: str, detail: str, env_var: str, fix: str) -> None:
    if _required(env_var):
        pytest.fail(f"{what} is required ({env_var}=1) but unavailable: {detail}\n  fix: {fix}",
                    pytrace=False)
    pytest.skip(f"{what} unavailable: {detail}")


# Session-scoped, so fixtures of any scope (a module's shared cluster) can request them; a skip or
# failure in setup is remembered and given to every test that uses them.


@pytest.fixture(scope="session")
def docker_required() -> None:
    """Skip (or fail under K8SEDU_REQUIRE_DOCKER=1) when no Docker engine answers."""
    ok, detail = docker_status()
    if not ok:
        _missing("Docker engine", detail, "K8SEDU_REQUIRE_DOCKER",
                 "start Docker (bash scripts/test.sh installs docker.io and starts dockerd as root)")


@pytest.fixture(scope="session")
def browser_required() -> dict[str, Any]:
    """Skip (or fail under K8SEDU_REQUIRE_BROWSER=1) without Chromium and Playwright.

    Returns the launch options for ``playwright.chromium.launch(**browser_required)`` (one dict
    for the session: copy it before changing it).
    """
    ok, detail = browser_status()
    if not ok:
        _missing("headless Chromium", detail, "K8SEDU_REQUIRE_BROWSER",
                 "apt-get install chromium fonts-noto-cjk; pip install playwright "
                 "(never `playwright install`)")
    return {"executable_path": CHROMIUM, "headless": True, "args": list(CHROMIUM_ARGS)}


@pytest.fixture(autouse=True)
def _tier_requirements(request: pytest.FixtureRequest) -> None:
    """Give tests marked ``docker`` / ``browser`` their requirement fixture."""
    if request.node.get_closest_marker("docker") is not None:
        request.getfixturevalue("docker_required")
    if request.node.get_closest_marker("browser") is not None:
        request.getfixturevalue("browser_required")

