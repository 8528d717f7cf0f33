"""Plotly figures as widgets that survive the browser: what every dashboard builds its figures with.

Why one module: a FigureWidget's browser model can miss the kernel's updates (it is created while
plotly's 5 MB widget bundle is still loading) or strip properties it thinks are defaults. Every
view builds its figures the same way: ``StableFigure`` widgets, the first picture rendered, then
``fresh_figures`` (new widgets whose initial state *is* that picture) and ``heal_stale_views``
(replace a figure whose browser view reports it drew something stale). ``preload`` starts the
bundle loading as soon as ``k8sedu.viz`` is imported in a notebook.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

__all__ = ["StableFigure", "heal_stale_views", "fresh_figures", "preload", "MAX_HEALS"]

#: how many times heal_stale_views may replace one figure
MAX_HEALS = 3


class StableFigure(go.FigureWidget):
    """A FigureWidget that keeps every property the kernel set.

    Why: a FigureWidget takes the defaults its browser view computed (``_js2py_traceDeltas``,
    ``_js2py_layoutDelta``) and then deletes, in the browser, each property the kernel set to the
    same value as such a default — a trace's ``name`` among them, so the legend came to read
    "trace 0". The dashboards never read the browser's defaults back, so these messages are ignored.
    """

    def _handler_js2py_traceDeltas(self, change: Any) -> None:
        self._js2py_traceDeltas = None

    def _handler_js2py_layoutDelta(self, change: Any) -> None:
        self._js2py_layoutDelta = None


def heal_stale_views(view: Any, attr: str, heals: int = 0) -> None:
    """Replace ``view.<attr>`` (a FigureWidget) by a fresh copy when its browser view is dead.

    Why: on a page that has just opened (Run All Cells), JupyterLab can create the first plotly
    widget models before plotly's JavaScript module has loaded; such a model never applies an update
    from the kernel, and its figure stays empty axes for good. Its view still reports what it drew
    (``_js2py_traceDeltas``, with the model's edit id): when the model never saw an edit, or drew
    fewer traces than the figure has, a new FigureWidget (a new model, created now that the module is
    loaded) takes the old one's place in ``view.widget``; ``view._bind()`` re-reads its traces.
    The view needs ``widget``, ``_render_lock`` and ``_bind()``. A view that renders while the
    browser draws can look stale once too often: at most ``MAX_HEALS`` replacements per figure.
    """
    fig: go.FigureWidget = getattr(view, attr)

    def check(change: Any) -> None:
        msg = change.get("new") or {}
        drawn = msg.get("trace_deltas")
        if drawn is None:
            return
        # the view's model has not seen every edit the kernel sent (or drew other traces): stale
        stale = len(drawn) != len(fig.data) or msg.get("trace_edit_id") != fig._last_trace_edit_id
        if not stale or getattr(view, attr) is not fig or heals >= MAX_HEALS:
            return
        with view._render_lock:
            new = StableFigure(fig)
            setattr(view, attr, new)
            view._bind()
            view.widget.children = tuple(new if c is fig else c for c in view.widget.children)
        heal_stale_views(view, attr, heals + 1)

    fig.observe(check, names="_js2py_traceDeltas")


# -- following the cluster ---------------------------------------------------------------------------

def fresh_figures(view: Any, *attrs: str) -> None:
    """Give *view* new figure widgets created from its already rendered figures; call it once, after
    the first render and before the view is shown.

    Why: the first plotly widget of a freshly opened page may be created before plotly's browser
    module has loaded, and such a model never applies the kernel's later updates (empty axes, seen
    with ClusterView in JupyterLab) nor reports back, so :func:`heal_stale_views` cannot see it. A
    widget created from the rendered figure carries the picture in its initial state (as
    :func:`k8sedu.viz.live.as_widget` does for SchedulerView); later renders update it as usual.
    """
    with view._render_lock:
        for attr in attrs:
            old = getattr(view, attr)
            new = StableFigure(old)
            setattr(view, attr, new)
            view.widget.children = tuple(new if c is old else c for c in view.widget.children)
        view._bind()
    for attr in attrs:
        heal_stale_views(view, attr)


def preload() -> None:
    """Start loading plotly's widget bundle in the browser now (a throwaway FigureWidget model),
    so the dashboards shown a few cells later get every update. Outside a kernel: nothing."""
    global _preloaded
    if _preloaded:
        return
    _preloaded = True
    try:
        from IPython import get_ipython

        if get_ipython() is None or not hasattr(get_ipython(), "kernel"):
            return
        _keep.append(go.FigureWidget())
    except Exception:  # no IPython, no widgets: nothing to preload
        return


_preloaded = False
_keep: list[Any] = []  # the preloading widget must outlive this call
