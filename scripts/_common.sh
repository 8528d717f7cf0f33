# Shared by scripts/lab.sh and scripts/test.sh (sourced, not run).
#
# Why a file of its own: both commands must turn a fresh machine into a working one the same way
# (a .venv with the package, a reachable Docker engine), and be quick the second time.

K8SEDU_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K8SEDU_VENV=${K8SEDU_VENV:-$K8SEDU_ROOT/.venv}
K8SEDU_PY=$K8SEDU_VENV/bin/python
K8SEDU_DOCKERD_LOG=${K8SEDU_DOCKERD_LOG:-/tmp/k8sedu-dockerd.log}
export PIP_DISABLE_PIP_VERSION_CHECK=1
export DEBIAN_FRONTEND=noninteractive

log() { printf '[k8sedu] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# The interpreter that makes the venv: $PYTHON, else the first python3 that is 3.10 or newer.
find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11 python3.10; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# Create .venv if missing and install the package with its test extras into it. The stamp file
# makes the second run skip pip unless pyproject.toml changed since.
ensure_venv() {
    local stamp=$K8SEDU_VENV/.k8sedu-installed
    if [ ! -x "$K8SEDU_PY" ]; then
        local python
        python=$(find_python) || die "需要 Python 3.10 或更新版本 / Python 3.10 or newer is needed (set PYTHON=...)"
        log "创建虚拟环境 / creating $K8SEDU_VENV with $python"
        "$python" -m venv "$K8SEDU_VENV" || die "cannot create $K8SEDU_VENV (on Debian: apt-get install python3-venv)"
        rm -f "$stamp"
    fi
    if [ -f "$stamp" ] && [ "$stamp" -nt "$K8SEDU_ROOT/pyproject.toml" ] && (cd / && "$K8SEDU_PY" -c \
        'import importlib.util, sys; sys.exit(importlib.util.find_spec("k8sedu") is None)' 2>/dev/null); then
        return 0
    fi
    log "安装依赖 / installing k8sedu and its dependencies into .venv (pip, quiet)..."
    "$K8SEDU_PY" -m pip install --quiet --quiet --editable "$K8SEDU_ROOT[test]" </dev/null \
        || die "pip install failed / 安装失败"
    touch "$stamp"
}

docker_ok() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

# dpkg's view of one package; true when installed.
dpkg_has() {
    command -v dpkg-query >/dev/null 2>&1 \
        && dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# apt-get install the given packages (one apt-get update first). Root and apt-get required.
apt_install() {
    [ $# -gt 0 ] || return 0
    is_root || { log "not root: cannot apt-get install $*"; return 1; }
    command -v apt-get >/dev/null 2>&1 || { log "no apt-get: install $* by hand"; return 1; }
    log "apt-get install $* ..."
    apt-get update -qq </dev/null >/dev/null || return 1
    NEEDRESTART_SUSPEND=1 apt-get install -y -qq "$@" </dev/null >/dev/null || return 1
}

# Start the Docker engine (installing docker.io first when it is missing) and wait until
# `docker info` answers, 60 s at most. Needs root; returns non-zero when Docker stays unreachable.
ensure_docker() {
    docker_ok && return 0
    is_root || { log "Docker 不可用且非 root / Docker unreachable and not root: start it yourself"; return 1; }
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
        apt_install docker.io || return 1
    fi
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        log "systemctl start docker"
        systemctl start docker </dev/null || true
    fi
    if ! docker_ok && ! pgrep -x dockerd >/dev/null 2>&1; then
        log "启动 dockerd / starting dockerd in the background (log: $K8SEDU_DOCKERD_LOG)"
        # setsid + redirections: the daemon must not hold our stdout/stderr (CI reads them to EOF).
        setsid dockerd >"$K8SEDU_DOCKERD_LOG" 2>&1 </dev/null &
    fi
    local deadline=$((SECONDS + 60))
    while ! docker_ok; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "dockerd did not answer within 60 s; last lines of $K8SEDU_DOCKERD_LOG:"
            tail -n 20 "$K8SEDU_DOCKERD_LOG" >&2 2>/dev/null || true
            return 1
        fi
        sleep 0.5
    done
    log "Docker 已就绪 / Docker is up"
}
