#!/usr/bin/env bash
# Open the lessons in JupyterLab: one command on a fresh machine.
#
#   bash scripts/lab.sh [k8sedu lab options...]      e.g.  bash scripts/lab.sh --no-browser --port 8888
#
# Creates .venv and installs k8sedu into it (once), tries to make Docker reachable (as root on
# Debian/Ubuntu it installs docker.io and starts dockerd), then runs `k8sedu lab`. Without Docker the
# lessons still run, on the simulated runtime.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$K8SEDU_ROOT"

ensure_venv

if ! docker_ok && is_root; then
    # The offline images fall back to the host's static busybox when Docker Hub is out of reach.
    if command -v dpkg-query >/dev/null 2>&1 && ! dpkg_has busybox-static; then
        apt_install busybox-static || true
    fi
    ensure_docker || true
fi
if docker_ok; then
    log "Docker 可用: Pod 将运行为真实容器 / Docker reachable: Pods run as real containers"
else
    log "Docker 不可用: 课程将使用模拟运行时 (simulated runtime) / Docker unreachable: the lessons will use the simulated runtime"
    log "  修复 fix: install Docker Desktop, or 'sudo apt-get install docker.io' and start dockerd; then 'k8sedu doctor'"
fi

exec "$K8SEDU_VENV/bin/k8sedu" lab "$@"
