#!/usr/bin/env bash
# Run every test tier on this machine: fast (sim runtime), docker and browser.
#
#   bash scripts/test.sh [pytest args...]      e.g.  bash scripts/test.sh -k scheduler -x
#   K8SEDU_TEST_WORKERS=0 bash scripts/test.sh  one process instead of 4 pytest-xdist workers
#
# On a fresh Debian/Ubuntu machine as root it installs what the tiers need (docker.io,
# busybox-static, chromium, fonts-noto-cjk), starts dockerd, and makes Docker and browser tests
# FAIL rather than skip when their tool is missing (K8SEDU_REQUIRE_DOCKER=0 / K8SEDU_REQUIRE_BROWSER=0
# relax that on a laptop without them). The second run is quick: nothing is reinstalled.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$K8SEDU_ROOT"

ensure_venv

# System packages, only those missing.
missing=()
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    missing+=(docker.io)
fi
# The offline images fall back to the host's static busybox when Docker Hub is out of reach.
if command -v dpkg-query >/dev/null 2>&1 && ! dpkg_has busybox-static; then
    missing+=(busybox-static)
fi
[ -x /usr/bin/chromium ] || missing+=(chromium)
# k8sedu serve speaks HTTPS (kubectl sends no credentials over http); its certificate comes from openssl.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ! { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; }; then
    missing+=(fonts-noto-cjk)
fi
if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}" || log "could not install ${missing[*]}: the tests that need them will fail"
fi

ensure_docker || log "Docker 不可用 / Docker unreachable: docker tests will fail"

export K8SEDU_REQUIRE_DOCKER=${K8SEDU_REQUIRE_DOCKER:-1}
export K8SEDU_REQUIRE_BROWSER=${K8SEDU_REQUIRE_BROWSER:-1}
# Each test starts its own cluster (its own Docker network and containers, labelled with its id),
# so the tiers run on several workers (pytest-xdist), one test file per worker at a time (some files
# build on one shared cluster test after test); K8SEDU_TEST_WORKERS=0 runs them in one process.
workers=${K8SEDU_TEST_WORKERS:-4}
set +e
"$K8SEDU_PY" -m pytest -n "$workers" --dist loadfile "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    log "pytest 没有运行任何测试 / pytest ran no tests: that is a failure"
fi
exit "$status"
