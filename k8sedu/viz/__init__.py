"""Dashboards (ipywidgets + plotly FigureWidget): each view is a plain snapshot, a pure
``render(snapshot)`` and a widget tree as ``.widget`` that the caller displays.

::

    from k8sedu.viz import SchedulerView
    SchedulerView.from_cluster(c, "pod/web-x", presenter=True).widget
"""

from __future__ import annotations

from .cluster_view import ClusterSnapshot, ClusterView
from .figure import preload
from .flow_steps import FlowFilter, FlowStep
from .flow_view import FlowSnapshot, FlowView
from .rollout_view import RolloutSnapshot, RolloutView
from .scheduler_view import SchedulerSnapshot, SchedulerView
from .service_view import ServiceSnapshot, ServiceView
from .style import FONT_FAMILY, Theme, theme

__all__ = ["FlowView", "FlowSnapshot", "FlowFilter", "FlowStep", "SchedulerView", "SchedulerSnapshot",
           "ServiceView", "ServiceSnapshot", "ClusterView", "ClusterSnapshot", "RolloutView", "RolloutSnapshot",
           "Theme", "theme", "FONT_FAMILY"]

preload()  # in a notebook: start loading plotly's widget bundle before the first dashboard appears
