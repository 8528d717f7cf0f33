"""Dashboards (ipywidgets + plotly FigureWidget): each view is a plain snapshot, a pure
``render(snapshot)`` and a widget tree as ``.widget`` that the caller displays.

::

    from k8sedu.viz import SchedulerView
    SchedulerView.from_cluster(c, "pod/web-x", presenter=True).widget
"""

from __future__ import annotations

from .scheduler_view import SchedulerSnapshot, SchedulerView
from .style import FONT_FAMILY, Theme, theme

__all__ = ["SchedulerView", "SchedulerSnapshot", "Theme", "theme", "FONT_FAMILY"]
