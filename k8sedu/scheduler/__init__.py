"""The scheduler (调度器): Filter (预选) and Score (优选) plugins with upstream's names, weights and
messages, a scheduling queue with back-off, and a decision trace for every attempt.

::

    from k8sedu.scheduler import Scheduler, simulate
    s = Scheduler(client, clock).start()      # binds Pods with spec.schedulerName default-scheduler
    print(s.trace("default", "web-x").table())
    print(simulate(pod, nodes, pods).table()) # the same decision, as a dry run on plain objects
"""

from __future__ import annotations

from .framework import (
    DEFAULT_PLUGINS,
    DEFAULT_PROFILE,
    DEFAULT_SCHEDULER_NAME,
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    NOT_IMPLEMENTED_DEFAULT_PLUGINS,
    Code,
    CycleState,
    FilterPlugin,
    Framework,
    NodeInfo,
    NormalizeScorePlugin,
    PluginRef,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    Profile,
    Registry,
    ScorePlugin,
    Snapshot,
    Status,
    default_normalize_score,
)
from .plugins import in_tree_registry
from .queue import SchedulingQueue
from .schedule_one import fit_error_message, new_framework, schedule_pod, simulate
from .scheduler import Scheduler
from .trace import FilterVerdict, NodeTrace, ScoreDetail, Trace

__all__ = [
    "Scheduler",
    "simulate",
    "schedule_pod",
    "new_framework",
    "fit_error_message",
    "in_tree_registry",
    "Trace",
    "NodeTrace",
    "FilterVerdict",
    "ScoreDetail",
    "Code",
    "Status",
    "CycleState",
    "NodeInfo",
    "Snapshot",
    "PreFilterResult",
    "PreFilterPlugin",
    "FilterPlugin",
    "PreScorePlugin",
    "ScorePlugin",
    "NormalizeScorePlugin",
    "Framework",
    "Registry",
    "PluginRef",
    "Profile",
    "SchedulingQueue",
    "DEFAULT_PROFILE",
    "DEFAULT_PLUGINS",
    "DEFAULT_SCHEDULER_NAME",
    "NOT_IMPLEMENTED_DEFAULT_PLUGINS",
    "MAX_NODE_SCORE",
    "MIN_NODE_SCORE",
    "default_normalize_score",
]
