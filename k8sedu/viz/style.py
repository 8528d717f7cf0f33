"""Fonts, colours and the presenter mode shared by every dashboard.

Why one module: the views must look like one product, their Chinese labels must render with a CJK
font in any browser, and a teacher switching to a projector wants every view's type large at once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FONT_FAMILY", "PASS", "FAIL", "SKIP", "NOT_RUN", "CHOSEN", "MUTED", "ERROR_TEXT", "PALETTE",
    "PLUGIN_ZH", "Theme", "theme", "plugin_label",
    "FLOW_BOX", "FLOW_EDGE", "FLOW_ACTIVE", "FLOW_DONE", "FLOW_NODE", "POD_STATUS_COLOURS", "POD_STATUS_ZH", "SERIES",
]

#: CJK first (Noto Sans CJK SC ships with most Linux desktops and our Docker image), then the
#: common CJK system fonts of macOS and Windows, then whatever sans-serif the browser has.
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'

PASS = "#d9f2e0"  # a passed Filter (预选通过)
FAIL = "#f8d7da"  # a rejecting Filter
SKIP = "#eef1f5"  # PreFilter said the plugin has nothing to check for this Pod
NOT_RUN = "#ffffff"  # not run: an earlier plugin already rejected the node
HEADER = "#34495e"
CHOSEN = "#e0a800"  # the chosen node's outline
MUTED = "#7f8c8d"
ERROR_TEXT = "#c0392b"

# FlowView: components as boxes, the current step's arrow, the steps already shown
FLOW_BOX = "#eef3f8"
FLOW_EDGE = "#5b7083"
FLOW_ACTIVE = "#d9480f"
FLOW_DONE = "#c9d3dd"
FLOW_NODE = "#9aa5b1"

#: one colour per Score plugin, in the default profile's order, so a plugin keeps its colour
PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#72b7b2", "#eeca3b", "#ff9da6", "#9d755d", "#bab0ac")

#: a Pod's colour by its state (cluster_view.pod_status), the same in every view
POD_STATUS_COLOURS: dict[str, str] = {
    "Ready": "#2e9e4f",  # Running and Ready: serves traffic
    "NotReady": "#f0a30a",  # Running, not Ready (readiness probe failing, CrashLoopBackOff…)
    "Pending": "#9fb3c8",  # not scheduled yet, or its containers are being created
    "Succeeded": "#4c78a8",
    "Failed": "#d62728",
    "Terminating": "#8e44ad",  # deletionTimestamp set: graceful termination
    "Unknown": "#555555",
}
POD_STATUS_ZH: dict[str, str] = {
    "Ready": "运行中·就绪（Ready）",
    "NotReady": "运行中·未就绪",
    "Pending": "等待中（Pending）",
    "Succeeded": "已完成（Succeeded）",
    "Failed": "失败（Failed）",
    "Terminating": "终止中（Terminating）",
    "Unknown": "未知（Unknown）",
}

#: one colour per series (a ReplicaSet, an endpoint) in order of appearance
SERIES = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d")

#: the plugins' Chinese names; the English (upstream) name is always shown beside them
PLUGIN_ZH: dict[str, str] = {
    "PrioritySort": "优先级排序",
    "NodeUnschedulable": "节点可调度",
    "NodeName": "指定节点名",
    "TaintToleration": "污点容忍",
    "NodeAffinity": "节点亲和性",
    "NodePorts": "主机端口",
    "NodeResourcesFit": "资源适配",
    "VolumeRestrictions": "卷限制",
    "NodeVolumeLimits": "卷数量上限",
    "EBSLimits": "EBS 卷上限",
    "GCEPDLimits": "GCE PD 卷上限",
    "AzureDiskLimits": "Azure 磁盘上限",
    "VolumeBinding": "卷绑定",
    "VolumeZone": "卷可用区",
    "PodTopologySpread": "拓扑分布",
    "InterPodAffinity": "Pod 间亲和性",
    "NodeResourcesBalancedAllocation": "资源均衡",
    "ImageLocality": "镜像本地性",
    "DefaultPreemption": "抢占",
    "DefaultBinder": "绑定",
    "SchedulingGates": "调度门控",
}


def plugin_label(plugin: str, sep: str = "<br>") -> str:
    """``资源适配<br>NodeResourcesFit``: the Chinese name first, upstream's name below it."""
    zh = PLUGIN_ZH.get(plugin)
    return f"{zh}{sep}{plugin}" if zh else plugin


@dataclass(frozen=True)
class Theme:
    """Type sizes (px) for one mode; ``presenter`` is large type for projectors."""

    presenter: bool
    font: int
    title: int
    small: int
    row_height: int

    @property
    def family(self) -> str:
        return FONT_FAMILY

    def css(self, size: int | None = None) -> str:
        """An inline CSS ``style`` value for HTML widgets."""
        return f"font-family: {FONT_FAMILY.replace(chr(34), chr(39))}; font-size: {size or self.font}px"


NORMAL = Theme(presenter=False, font=13, title=16, small=11, row_height=28)
PRESENTER = Theme(presenter=True, font=22, title=28, small=18, row_height=44)


def theme(presenter: bool = False) -> Theme:
    return PRESENTER if presenter else NORMAL
