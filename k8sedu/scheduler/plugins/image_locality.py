"""ImageLocality: prefer nodes that already have the Pod's images (no pull, faster start).

For each container image present on the node (names compared after adding ``:latest`` to an
untagged name, as upstream), its size counts in proportion to how many nodes have it, so an image
everywhere does not make one node special::

    sum   = Σ size × (nodes with the image / all nodes)
    sum   clamped to [23 MB, 1000 MB × number of containers]
    score = 100 × (sum - 23 MB) / (max - 23 MB)

Images smaller than 23 MB (``minThreshold``) therefore score 0: small images are cheap to pull.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..framework import MAX_NODE_SCORE, CycleState, NodeInfo, Pod, Snapshot, Status

__all__ = ["NAME", "MB", "MIN_THRESHOLD", "MAX_CONTAINER_THRESHOLD", "ImageLocality", "normalized_image_name"]

NAME = "ImageLocality"
MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB
_PRE_SCORE_KEY = "PreScore" + NAME


def normalized_image_name(name: str) -> str:
    """Add ``:latest`` when the name has no tag after its last ``/``: ``nginx`` → ``nginx:latest``,
    ``repo:5000/app`` → ``repo:5000/app:latest``; ``nginx:1.25`` stays as it is."""
    if name.rfind(":") <= name.rfind("/"):
        name += ":latest"
    return name


def _containers(pod: Pod) -> list[Mapping[str, Any]]:
    spec = pod.get("spec") or {}
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    max_threshold = MAX_CONTAINER_THRESHOLD * num_containers
    sum_scores = max(MIN_THRESHOLD, min(sum_scores, max_threshold))
    return MAX_NODE_SCORE * (sum_scores - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


class ImageLocality:
    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        pass

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo], snapshot: Snapshot) -> Status:
        state.write(_PRE_SCORE_KEY, len(snapshot))  # the spread counts over *all* nodes
        return Status()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        total_nodes = state.read(_PRE_SCORE_KEY) or 1
        total = 0
        containers = _containers(pod)
        for c in containers:
            image = node.image_states.get(normalized_image_name(str(c.get("image") or "")))
            if image is not None:
                total += int(image.size * (image.num_nodes / total_nodes))
        return calculate_priority(total, len(containers))
