"""The scheduling framework: the small interfaces every plugin implements, as in kube-scheduler.

One scheduling cycle runs the plugins of a profile at fixed extension points::

    PreFilter ─▶ Filter (每个节点 / every node) ─▶ PostFilter (only if no node fits: preemption)
                                     │ feasible nodes
                                     ▼
    PreScore ─▶ Score (每个可用节点) ─▶ NormalizeScore ─▶ × weight ─▶ sum ─▶ highest total wins

Filter is 预选 (predicates) and Score is 优选 (priorities) in the older Chinese literature. A Filter
answers with a :class:`Status`; a Score with an integer from 0 to 100 (``MAX_NODE_SCORE``), which
the plugin may later normalize across the nodes. Plugins are pure functions of the Pod and a
read-only snapshot of the cluster (:class:`~k8sedu.scheduler.nodeinfo.NodeInfo`): they never call
the apiserver and never mutate what they are given.

The status codes are upstream's; what they mean for the Pod::

    SUCCESS                         the node passes
    ERROR                           something broke; the Pod is retried after a back-off
    UNSCHEDULABLE                   fails now, may pass after the cluster changes
                                    (e.g. "Insufficient cpu": preemption could free some)
    UNSCHEDULABLE_AND_UNRESOLVABLE  fails whatever happens to other Pods
                                    (e.g. node selector mismatch: preemption would not help)
    SKIP                            (PreFilter/PreScore) this plugin has nothing to do for this Pod
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from .nodeinfo import ImageStateSummary, NodeInfo, Resource, Snapshot

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MAX_NODE_SCORE",
    "MIN_NODE_SCORE",
    "Code",
    "Status",
    "PreFilterResult",
    "CycleState",
    "NodeInfo",
    "Snapshot",
    "Resource",
    "ImageStateSummary",
    "Pod",
    "Plugin",
    "PreFilterPlugin",
    "FilterPlugin",
    "PreScorePlugin",
    "ScorePlugin",
    "NormalizeScorePlugin",
    "PluginFactory",
    "Registry",
    "PluginRef",
    "Profile",
    "Framework",
    "DEFAULT_SCHEDULER_NAME",
    "DEFAULT_PLUGINS",
    "DEFAULT_PROFILE",
    "NOT_IMPLEMENTED_DEFAULT_PLUGINS",
    "default_normalize_score",
]

MAX_NODE_SCORE = 100
MIN_NODE_SCORE = 0
DEFAULT_SCHEDULER_NAME = "default-scheduler"

Pod = dict[str, Any]  # a Pod as the apiserver returns it (plain JSON); never mutated here


class Code(IntEnum):
    """Upstream's ``framework.Code`` (same order, same numbers)."""

    SUCCESS = 0
    ERROR = 1
    UNSCHEDULABLE = 2
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    WAIT = 4
    SKIP = 5
    PENDING = 6
    UNRESOLVABLE = 3  # short alias of UNSCHEDULABLE_AND_UNRESOLVABLE

    @property
    def label(self) -> str:
        """The name upstream prints (``Code.String()``): ``UnschedulableAndUnresolvable``…"""
        return _CODE_LABELS[self]


_CODE_LABELS = {
    Code.SUCCESS: "Success",
    Code.ERROR: "Error",
    Code.UNSCHEDULABLE: "Unschedulable",
    Code.UNSCHEDULABLE_AND_UNRESOLVABLE: "UnschedulableAndUnresolvable",
    Code.WAIT: "Wait",
    Code.SKIP: "Skip",
    Code.PENDING: "Pending",
}


@dataclass(frozen=True)
class Status:
    """A plugin's answer. ``reasons`` are short stable strings ("Insufficient cpu") that the
    FailedScheduling message counts; ``plugin`` names who said it."""

    code: Code = Code.SUCCESS
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @classmethod
    def unschedulable(cls, *reasons: str) -> Status:
        return cls(Code.UNSCHEDULABLE, tuple(reasons))

    @classmethod
    def unresolvable(cls, *reasons: str) -> Status:
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, tuple(reasons))

    @classmethod
    def skip(cls) -> Status:
        return cls(Code.SKIP)

    @classmethod
    def error(cls, message: str) -> Status:
        return cls(Code.ERROR, (message,))

    @property
    def is_success(self) -> bool:
        return self.code == Code.SUCCESS

    @property
    def is_skip(self) -> bool:
        return self.code == Code.SKIP

    @property
    def is_rejected(self) -> bool:
        """Unschedulable, UnschedulableAndUnresolvable or Pending (upstream's ``IsRejected``)."""
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE, Code.PENDING)

    @property
    def message(self) -> str:
        return ", ".join(self.reasons)

    def with_plugin(self, plugin: str) -> Status:
        return replace(self, plugin=plugin)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code.label, "reasons": list(self.reasons), "plugin": self.plugin}


SUCCESS = Status()


@dataclass(frozen=True)
class PreFilterResult:
    """A PreFilter plugin may narrow the nodes worth filtering (NodeAffinity does, for a Pod pinned
    with ``matchFields: metadata.name``, as DaemonSet Pods are). ``None`` means all nodes."""

    node_names: frozenset[str] | None = None

    def merge(self, other: PreFilterResult | None) -> PreFilterResult:
        if other is None or other.node_names is None:
            return self
        if self.node_names is None:
            return other
        return PreFilterResult(self.node_names & other.node_names)


class CycleState:
    """Data one scheduling cycle shares between the extension points of a plugin (what PreFilter
    computed once, Filter reads for every node). Lives for one Pod's cycle only."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.skip_filter_plugins: set[str] = set()
        self.skip_score_plugins: set[str] = set()

    def write(self, key: str, value: Any) -> None:
        self._data[key] = value

    def read(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def clone(self) -> CycleState:
        c = CycleState()
        c._data = dict(self._data)
        c.skip_filter_plugins = set(self.skip_filter_plugins)
        c.skip_score_plugins = set(self.skip_score_plugins)
        return c


# -- the extension points ------------------------------------------------------------------------
@runtime_checkable
class Plugin(Protocol):
    name: ClassVar[str]


@runtime_checkable
class PreFilterPlugin(Plugin, Protocol):
    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> tuple[PreFilterResult | None, Status]:
        """Once per cycle, before any Filter. ``Status.skip()`` skips this plugin's Filter."""
        ...


@runtime_checkable
class FilterPlugin(Plugin, Protocol):
    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """Can *pod* run on *node*? Success, or a rejection with its reasons."""
        ...


@runtime_checkable
class PreScorePlugin(Plugin, Protocol):
    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo], snapshot: Snapshot) -> Status:
        """Once per cycle, with the feasible nodes. ``Status.skip()`` skips this plugin's Score."""
        ...


@runtime_checkable
class ScorePlugin(Plugin, Protocol):
    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """How good is *node* for *pod*: 0–100 (or a raw count that ``normalize_score`` maps)."""
        ...


@runtime_checkable
class NormalizeScorePlugin(Plugin, Protocol):
    def normalize_score(self, state: CycleState, pod: Pod, scores: dict[str, int]) -> dict[str, int]:
        """Map the raw scores of all feasible nodes (node name → score) into 0–100."""
        ...


def default_normalize_score(scores: Mapping[str, int], reverse: bool = False,
                            max_priority: int = MAX_NODE_SCORE) -> dict[str, int]:
    """Upstream's ``helper.DefaultNormalizeScore``: scale so the highest raw score becomes 100
    (integer division); with ``reverse`` the lowest raw score wins (100 - scaled)::

        raw     {a: 0, b: 1, c: 2}
        scaled  {a: 0, b: 50, c: 100}      reverse: {a: 100, b: 50, c: 0}
        all 0   stays 0                    reverse: all 100
    """
    top = max(scores.values(), default=0)
    if top == 0:
        return {n: (max_priority if reverse else s) for n, s in scores.items()}
    out = {}
    for n, s in scores.items():
        v = max_priority * s // top
        out[n] = max_priority - v if reverse else v
    return out


# -- the registry ---------------------------------------------------------------------------------
PluginFactory = Callable[[Mapping[str, Any] | None], Plugin]


class Registry:
    """Plugin name → factory (``factory(args) -> plugin``), as upstream's ``runtime.Registry``.
    Registering a name twice is a programming error and raises ``ValueError``."""

    def __init__(self, factories: Mapping[str, PluginFactory] | None = None) -> None:
        self._factories: dict[str, PluginFactory] = {}
        for name, factory in (factories or {}).items():
            self.register(name, factory)

    def register(self, name: str, factory: PluginFactory) -> None:
        if name in self._factories:
            raise ValueError(f"a plugin named {name} already exists")
        self._factories[name] = factory

    def unregister(self, name: str) -> None:
        if name not in self._factories:
            raise ValueError(f"no plugin named {name} exists")
        del self._factories[name]

    def factory(self, name: str) -> PluginFactory:
        try:
            return self._factories[name]
        except KeyError:
            raise ValueError(f"{name} does not exist") from None

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def names(self) -> list[str]:
        return list(self._factories)

    def merge(self, other: Registry) -> Registry:
        out = Registry(self._factories)
        for name in other:
            out.register(name, other.factory(name))
        return out


# -- profiles -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PluginRef:
    """A plugin enabled in a profile. ``weight`` matters for Score plugins only (0 means 1, as
    upstream defaults it)."""

    name: str
    weight: int = 0
    args: Mapping[str, Any] | None = None


#: v1.32's ``getDefaultPlugins()`` (MultiPoint), in its order, with its weights, minus the plugins
#: listed in ``NOT_IMPLEMENTED_DEFAULT_PLUGINS``.
DEFAULT_PLUGINS: tuple[PluginRef, ...] = (
    PluginRef("NodeUnschedulable"),
    PluginRef("NodeName"),
    PluginRef("TaintToleration", 3),
    PluginRef("NodeAffinity", 2),
    PluginRef("NodePorts"),
    PluginRef("NodeResourcesFit", 1),
    PluginRef("VolumeBinding"),
    PluginRef("PodTopologySpread", 2),
    PluginRef("InterPodAffinity", 2),
    PluginRef("NodeResourcesBalancedAllocation", 1),
    PluginRef("ImageLocality", 1),
)

#: Upstream default plugins that are not Filter/Score plugins here, and where their job is done.
NOT_IMPLEMENTED_DEFAULT_PLUGINS: dict[str, str] = {
    "SchedulingGates": "the scheduling queue: Pods with spec.schedulingGates wait outside it",
    "PrioritySort": "the scheduling queue: higher spec.priority first, then first come",
    "VolumeRestrictions": "not implemented (no volume scheduling)",
    "NodeVolumeLimits": "not implemented (no volume scheduling)",
    "VolumeZone": "not implemented (no volume scheduling)",
    "DefaultPreemption": "only its message: no Pod is preempted (evicted) here",
    "DefaultBinder": "Scheduler._bind: POST pods/<name>/binding",
}


@dataclass(frozen=True)
class Profile:
    """A scheduler profile: the name Pods ask for in ``spec.schedulerName`` and its plugins."""

    scheduler_name: str = DEFAULT_SCHEDULER_NAME
    plugins: tuple[PluginRef, ...] = DEFAULT_PLUGINS
    #: upstream's percentageOfNodesToScore only matters from 100 nodes on; we always check all.

    def weight(self, name: str) -> int:
        for ref in self.plugins:
            if ref.name == name:
                return ref.weight or 1
        raise KeyError(name)

    def with_weight(self, name: str, weight: int) -> Profile:
        """A copy with one plugin's weight changed (weight 0 keeps the plugin with weight 1)."""
        self.weight(name)
        return replace(self, plugins=tuple(replace(r, weight=weight) if r.name == name else r for r in self.plugins))

    def without(self, *names: str) -> Profile:
        """A copy with some plugins disabled."""
        return replace(self, plugins=tuple(r for r in self.plugins if r.name not in names))


DEFAULT_PROFILE = Profile()


@dataclass
class Framework:
    """A profile's plugins, instantiated and sorted by extension point."""

    profile: Profile
    plugins: list[Plugin] = field(default_factory=list)
    weights: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, profile: Profile, registry: Registry) -> Framework:
        fwk = cls(profile)
        seen: set[str] = set()
        for ref in profile.plugins:
            if ref.name in seen:
                raise ValueError(f"plugin {ref.name} enabled twice in profile {profile.scheduler_name}")
            seen.add(ref.name)
            plugin = registry.factory(ref.name)(ref.args)
            fwk.plugins.append(plugin)
            fwk.weights[ref.name] = ref.weight or 1
        return fwk

    @property
    def pre_filter_plugins(self) -> list[PreFilterPlugin]:
        return [p for p in self.plugins if isinstance(p, PreFilterPlugin)]

    @property
    def filter_plugins(self) -> list[FilterPlugin]:
        return [p for p in self.plugins if isinstance(p, FilterPlugin)]

    @property
    def pre_score_plugins(self) -> list[PreScorePlugin]:
        return [p for p in self.plugins if isinstance(p, PreScorePlugin)]

    @property
    def score_plugins(self) -> list[ScorePlugin]:
        return [p for p in self.plugins if isinstance(p, ScorePlugin)]
