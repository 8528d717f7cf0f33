"""``kubectl logs`` and ``kubectl exec``: reaching into a Pod's containers through the apiserver.

The apiserver does not hold logs; it forwards ``pods/log`` and ``pods/exec`` to the kubelet of the
Pod's node, which asks the container runtime. kubectl picks the container (the one named by
``-c``, the ``kubectl.kubernetes.io/default-container`` annotation, or the first, saying
``Defaulted container ...``) and, for ``logs deployment/web``, the Pod (running, ready, most
restarts, oldest first, as upstream's ``ByLogging``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ..errors import APIError, KubectlError
from .context import Invocation, request_timeout
from .messages import format_errors

__all__ = ["cmd_logs", "cmd_exec"]


def _pod_for(inv: Invocation, ref: str, verb: str) -> dict[str, Any]:
    """``POD`` or ``TYPE/NAME``: the Pod itself, or the one kubectl picks for a workload."""
    if "/" not in ref:
        try:
            return inv.client.get("pods", ref, inv.namespace)
        except APIError as err:
            raise KubectlError(format_errors([err])) from None
    type_name, _, name = ref.partition("/")
    kind = inv.kind(type_name)
    try:
        obj = inv.client.get(kind.plural, name, inv.namespace if kind.namespaced else None)
    except APIError as err:
        raise KubectlError(format_errors([err])) from None
    if kind.kind == "Pod":
        return obj
    from ..api import selectors

    spec = obj.get("spec") or {}
    if kind.kind == "Service":
        sel = spec.get("selector") or {}
        text = ",".join(f"{k}={v}" for k, v in sorted(sel.items()))
        if not text:
            raise KubectlError(f"error: cannot attach to *v1.Service: invalid service '{name}': Service is defined "
                               "without a selector")
    else:
        if not isinstance(spec.get("selector"), dict):
            raise KubectlError(f"error: cannot select pods of {kind.kind} {name}")
        text = str(selectors.from_label_selector(spec.get("selector")))
    pods = inv.client.items("pods", inv.namespace, text or None)
    if not pods:
        raise KubectlError("error: timed out waiting for the condition" if verb == "logs"
                           else f"error: no pods found for {kind.kind.lower()} {name}")
    pods.sort(key=_logging_rank)
    if len(pods) > 1:
        inv.note(f"Found {len(pods)} pods, using pod/{pods[0]['metadata']['name']}")
    return pods[0]


def _logging_rank(pod: dict[str, Any]) -> tuple[Any, ...]:
    """upstream's podutils.ByLogging: assigned, running, ready, most restarts, oldest first."""
    from ..clock import parse_rfc3339

    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase_rank = {"Running": 0, "Unknown": 1, "Pending": 2}.get(status.get("phase", ""), 3)
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    restarts = max((int(c.get("restartCount", 0)) for c in status.get("containerStatuses") or []), default=0)
    created = (pod.get("metadata") or {}).get("creationTimestamp")
    try:
        t = parse_rfc3339(created) if created else float("inf")
    except ValueError:
        t = float("inf")
    return (0 if spec.get("nodeName") else 1, phase_rank, 0 if ready else 1, -restarts, t)


def _default_container(inv: Invocation, pod: dict[str, Any], requested: str | None) -> str | None:
    if requested:
        return requested
    spec = pod.get("spec") or {}
    containers = [c.get("name", "") for c in spec.get("containers") or []]
    if len(containers) <= 1 and not spec.get("initContainers"):
        return containers[0] if containers else None
    annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    chosen = annotated if annotated in containers else (containers[0] if containers else None)
    if len(containers) > 1 or spec.get("initContainers"):
        names = containers + [f"{c.get('name')} (init)" for c in spec.get("initContainers") or []]
        names += [f"{c.get('name')} (ephem)" for c in spec.get("ephemeralContainers") or []]
        if not annotated:
            inv.note(f'Defaulted container "{chosen}" out of: {", ".join(names)}')
    return chosen


def cmd_logs(inv: Invocation) -> None:
    p = inv.parsed
    args = p.args
    if p.get("selector"):
        if args:
            raise KubectlError("error: only a selector (-l) or a POD name is allowed")
        pods = inv.client.items("pods", inv.namespace, p.get("selector"))
        for pod in pods:
            _logs_of(inv, pod, prefix=bool(p.get("prefix")))
        return
    if len(args) == 2:
        p.flags["container"] = p.flags.get("container") or args[1]
    elif len(args) != 1:
        raise KubectlError("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a "
                           "required argument for the logs command\nSee 'kubectl logs -h' for help and examples")
    pod = _pod_for(inv, args[0], "logs")
    _logs_of(inv, pod, prefix=bool(p.get("prefix")))


def _logs_of(inv: Invocation, pod: dict[str, Any], prefix: bool) -> None:
    from .args import parse_duration

    p = inv.parsed
    name = pod["metadata"]["name"]
    ns = pod["metadata"].get("namespace", inv.namespace)
    containers: list[str | None] = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    if p.get("all-containers"):
        targets = containers
    else:
        targets = [_default_container(inv, pod, p.get("container"))]
    tail = int(p.get("tail", -1))
    since = p.get("since")
    since_seconds = int(parse_duration(since)) if since else None
    for container in targets:
        tag = f"[pod/{name}/{container}] " if prefix else ""
        opts: dict[str, Any] = {"tail_lines": tail if tail >= 0 else None, "since_seconds": since_seconds,
                                "previous": bool(p.get("previous")), "timestamps": bool(p.get("timestamps"))}
        if p.get("follow"):
            opts.pop("previous")
            opts.pop("timestamps")
            try:
                lines = inv.client.logs(ns, name, container, follow=True, **opts)
            except APIError as err:
                raise KubectlError(format_errors([err])) from None
            _follow(inv, lines, tag)
            continue
        try:
            text = inv.client.logs(ns, name, container, **opts)
        except APIError as err:
            raise KubectlError(format_errors([err])) from None
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if not isinstance(text, str):
            text = "".join(line if line.endswith("\n") else line + "\n" for line in text)
        if tag:
            text = "".join(tag + line for line in text.splitlines(keepends=True))
        inv.write(text)


def _follow(inv: Invocation, lines: Any, tag: str) -> None:
    """``logs -f``, bounded for notebooks: stream until the container stops or the limit passes."""
    limit = request_timeout(inv) or inv.limits.follow
    done = threading.Event()
    buffer: list[str] = []
    lock = threading.Lock()

    def pump() -> None:
        try:
            for line in lines:
                text = line.decode("utf-8", "replace") if isinstance(line, bytes) else str(line)
                with lock:
                    buffer.append(tag + (text if text.endswith("\n") else text + "\n"))
        except Exception:  # the stream broke: stop following
            pass
        finally:
            done.set()

    worker = threading.Thread(target=pump, name="kubectl-logs-follow", daemon=True)
    worker.start()
    deadline = time.monotonic() + inv.clock.real_seconds(limit)
    while True:
        finished = done.wait(max(0.0, min(0.1, deadline - time.monotonic())))
        with lock:
            chunk, buffer[:] = "".join(buffer), []
        inv.write(chunk)
        if finished or time.monotonic() >= deadline:
            break
    if not done.is_set():
        close = getattr(lines, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                pass  # a generator running in the pump thread cannot be closed from here


def cmd_exec(inv: Invocation) -> None:
    p = inv.parsed
    args = p.args
    command = list(p.dash_args or [])
    if not args:
        raise KubectlError("error: pod, type/name or --filename must be specified")
    if not command:
        if len(args) > 1:
            raise KubectlError("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead")
        raise KubectlError("error: you must specify at least one command for the container")
    pod = _pod_for(inv, args[0], "exec")
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise KubectlError(f"error: cannot exec into a container in a completed pod; current phase is {phase}")
    container = _default_container(inv, pod, p.get("container"))
    stdin = inv.stdin.encode() if (p.get("stdin") and inv.stdin is not None) else None
    try:
        result = inv.client.exec(pod["metadata"].get("namespace", inv.namespace), pod["metadata"]["name"], command,
                                 container, stdin=stdin)
    except APIError as err:
        raise KubectlError(format_errors([err])) from None
    inv.write(result.stdout)
    if result.stderr:
        inv.write(result.stderr)
    code = result.exit_code
    if code != 0:
        inv.problem(f"command terminated with exit code {code}")
