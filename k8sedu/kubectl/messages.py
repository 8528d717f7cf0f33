"""How kubectl words its failures (upstream's ``cmdutil.CheckErr``), so a notebook shows the
same lines a terminal would::

    Error from server (NotFound): deployments.apps "web" not found          an apiserver error
    The Deployment "web" is invalid: spec.replicas: Invalid value: -1: ...   422 Invalid, from details
    error: the server doesn't have a resource type "foo"                     a client-side error

A verb collects problems as it goes (kubectl continues after most errors) and :func:`format_errors`
prints them: one problem alone as above; several as kubectl's aggregate, one per line, without the
``error: `` prefix on each.
"""

from __future__ import annotations

from ..errors import APIError, Invalid, KubectlError

__all__ = ["Problem", "add_source", "api_error_message", "format_errors", "client_error", "info_string"]

#: an apiserver error, or a client-side message without its ``error: `` prefix
Problem = APIError | str


def client_error(message: str) -> KubectlError:
    """A client-side error as kubectl prints it: ``error: <message>``."""
    return KubectlError(message if message.startswith("error: ") else f"error: {message}")


def _causes(err: APIError) -> list[str]:
    if isinstance(err, Invalid):
        return [str(c) for c in err.causes]
    out = []
    for cause in err.details.get("causes") or []:
        text = str(cause.get("message", ""))
        field = str(cause.get("field", ""))
        out.append(text if not field or text.startswith(field) else f"{field}: {text}")
    return out


def api_error_message(err: APIError) -> str:
    """One apiserver error, alone, as kubectl prints it."""
    if err.reason == "Invalid":
        kind = err.details.get("kind", "")
        name = err.details.get("name", "")
        head = f'The {kind} "{name}" is invalid' if kind or name else "The request is invalid"
        causes = _causes(err)
        if not causes:
            return head
        if len(causes) == 1:
            return f"{head}: {causes[0]}"
        return f"{head}: \n" + "\n".join(f"* {c}" for c in causes)
    if err.reason == "Unauthorized":
        return f"error: You must be logged in to the server ({err.message})"
    if err.reason:
        return f"Error from server ({err.reason}): {err.message}"
    return f"Error from server: {err.message}"


def _raw_invalid(err: APIError) -> str:
    """The Status message a real apiserver sends for a 422: ``Deployment.apps "web" is invalid: ...``
    (kubectl prints it as is inside an aggregate, and rebuilds it from details when alone)."""
    kind = err.details.get("kind", "")
    group = err.details.get("group", "")
    causes = _causes(err)
    body = causes[0] if len(causes) == 1 else "[" + ", ".join(causes) + "]"
    return f'{kind}{"." + group if group else ""} "{err.details.get("name", "")}" is invalid: {body}'


def _in_aggregate(problem: Problem) -> str:
    if isinstance(problem, APIError):
        if problem.reason == "Unauthorized":
            return api_error_message(problem)
        message = problem.message
        if problem.reason == "Invalid" and problem.details.get("kind"):
            message = getattr(problem, "source_prefix", "") + _raw_invalid(problem)
        return f"Error from server ({problem.reason}): {message}"
    return problem


def format_errors(problems: list[Problem]) -> str:
    """The text kubectl prints on stderr for these problems (no trailing newline)."""
    if len(problems) == 1:
        only = problems[0]
        if isinstance(only, APIError):
            return api_error_message(only)
        return only if only.startswith("error: ") else f"error: {only}"
    return "\n".join(_in_aggregate(p) for p in problems)


def add_source(verb: str, source: str, problem: Problem) -> Problem:
    """upstream's ``AddSourceToErr``: ``error when creating "web.yaml": ...``."""
    if not source:
        return problem
    if isinstance(problem, APIError):
        prefix = f'error when {verb} "{source}": '
        wrapped = type(problem).__new__(type(problem))
        wrapped.__dict__.update(problem.__dict__)
        wrapped.message = prefix + problem.message
        wrapped.source_prefix = getattr(problem, "source_prefix", "") + prefix  # type: ignore[attr-defined]
        wrapped.args = (wrapped.message,)
        return wrapped
    return f'error when {verb} "{source}": {problem}'


def info_string(api_version: str, plural: str, kind: str, name: str, namespace: str | None) -> str:
    """``resource.Info.String()``: what kubectl prints for "which object" in apply errors."""
    group, _, version = api_version.rpartition("/")
    return (
        f'Resource: "{group}/{version}, Resource={plural}", GroupVersionKind: "{group}/{version}, Kind={kind}"\n'
        f'Name: "{name}", Namespace: "{namespace or ""}"'
    )

