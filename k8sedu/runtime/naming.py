"""Names, labels and image references, as dockershim and containerd spell them.

Every container the runtime makes carries enough labels to rebuild the kubelet's view from the
engine alone (``docker ps`` reads like a real node, and a restarted kubelet finds its Pods again)::

    k8s_POD_web-7d4b9-x2k8p_default_5f0c…_0        the pause container (Pod sandbox)
    k8s_web_web-7d4b9-x2k8p_default_5f0c…_2        container "web", third attempt (restartCount 2)
        │    │               │       │      └ attempt
        │    │               │       └ pod uid
        │    │               └ namespace
        │    └ pod name
        └ container name ("POD" for the sandbox)

Labels (dockershim's, plus ours under ``k8sedu.``)::

    io.kubernetes.pod.uid / .pod.name / .pod.namespace / .container.name
    io.kubernetes.docker.type        "podsandbox" | "container"
    io.kubernetes.sandbox.id         (containers) the pause container's id
    annotation.io.kubernetes.container.restartCount
    k8sedu.cluster  k8sedu.node  k8sedu.attempt  k8sedu.owner-pid  k8sedu.owner-host  k8sedu.owner-start
"""

from __future__ import annotations

__all__ = [
    "LABEL_POD_UID",
    "LABEL_POD_NAME",
    "LABEL_POD_NAMESPACE",
    "LABEL_CONTAINER_NAME",
    "LABEL_TYPE",
    "LABEL_SANDBOX_ID",
    "LABEL_RESTART_COUNT",
    "LABEL_CLUSTER",
    "LABEL_NODE",
    "LABEL_ATTEMPT",
    "LABEL_OWNER_PID",
    "LABEL_OWNER_HOST",
    "LABEL_OWNER_START",
    "LABEL_IMAGE",
    "TYPE_SANDBOX",
    "TYPE_CONTAINER",
    "POD_CONTAINER_NAME",
    "sandbox_name",
    "container_name",
    "network_name",
    "volume_name",
    "normalize_image",
    "pull_not_found_message",
    "pull_failed_message",
]

LABEL_POD_UID = "io.kubernetes.pod.uid"
LABEL_POD_NAME = "io.kubernetes.pod.name"
LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace"
LABEL_CONTAINER_NAME = "io.kubernetes.container.name"
LABEL_TYPE = "io.kubernetes.docker.type"
LABEL_SANDBOX_ID = "io.kubernetes.sandbox.id"
LABEL_RESTART_COUNT = "annotation.io.kubernetes.container.restartCount"
LABEL_CLUSTER = "k8sedu.cluster"
LABEL_NODE = "k8sedu.node"
LABEL_ATTEMPT = "k8sedu.attempt"
LABEL_OWNER_PID = "k8sedu.owner-pid"
LABEL_OWNER_HOST = "k8sedu.owner-host"
LABEL_OWNER_START = "k8sedu.owner-start"
LABEL_IMAGE = "k8sedu.image"

TYPE_SANDBOX = "podsandbox"
TYPE_CONTAINER = "container"
POD_CONTAINER_NAME = "POD"  # the container name dockershim gives the pause container


def sandbox_name(pod_name: str, namespace: str, pod_uid: str, attempt: int = 0) -> str:
    """``k8s_POD_<pod>_<namespace>_<uid>_<attempt>``."""
    return f"k8s_{POD_CONTAINER_NAME}_{pod_name}_{namespace}_{pod_uid}_{attempt}"


def container_name(container: str, pod_name: str, namespace: str, pod_uid: str, attempt: int = 0) -> str:
    """``k8s_<container>_<pod>_<namespace>_<uid>_<attempt>``."""
    return f"k8s_{container}_{pod_name}_{namespace}_{pod_uid}_{attempt}"


def network_name(cluster_id: str) -> str:
    """The per-cluster bridge network every Pod sandbox joins."""
    return f"k8sedu-{cluster_id}"


def volume_name(cluster_id: str, name: str) -> str:
    """A cluster's named volume (emptyDir, PV data…): ``k8sedu-<cluster>-<name>``."""
    return f"k8sedu-{cluster_id}-{name}"


def normalize_image(image: str) -> str:
    """The fully qualified reference containerd shows: ``nginx`` -> ``docker.io/library/nginx:latest``.

    >>> normalize_image("k8sedu/web:v1")
    'docker.io/k8sedu/web:v1'
    >>> normalize_image("registry.example.com:5000/team/app@sha256:abc")
    'registry.example.com:5000/team/app@sha256:abc'
    """
    ref = image.strip()
    name, _, digest = ref.partition("@")
    first, _, rest = name.partition("/")
    if not rest:
        domain, path = "docker.io", "library/" + first
    elif "." in first or ":" in first or first == "localhost":
        domain, path = first, rest
    else:
        domain, path = "docker.io", name
    if domain == "docker.io" and "/" not in path:
        path = "library/" + path
    last = path.rsplit("/", 1)[-1]
    if not digest and ":" not in last:
        path += ":latest"
    return f"{domain}/{path}" + (f"@{digest}" if digest else "")


def pull_not_found_message(image: str) -> str:
    """containerd's words when the registry says the image or tag does not exist."""
    ref = normalize_image(image)
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
        f'failed to resolve reference "{ref}": {ref}: not found'
    )


def pull_failed_message(image: str, cause: str) -> str:
    """containerd's words when the pull fails for another reason (offline, registry down, auth…)."""
    ref = normalize_image(image)
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
        f'failed to resolve reference "{ref}": {cause}'
    )
