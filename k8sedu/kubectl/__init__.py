"""kubectl inside the notebook: ``Kubectl(client, clock).run("get pods")`` prints what kubectl prints.

- :mod:`.verbs`: the :class:`Kubectl` runner and the command table (its docstring says which
  module holds which verb); :mod:`.context`: one command while it runs.
- :mod:`.args`: the command line, parsed as cobra/pflag do; :mod:`.manifests`: ``-f`` files.
- :mod:`.printers`, :mod:`.describe`, :mod:`.output`: what ``get``, ``describe`` and ``-o`` print.
"""

from __future__ import annotations

from ..errors import KubectlError
from .manifests import load, load_objects
from .verbs import VERSION, Kubectl

__all__ = ["Kubectl", "KubectlError", "VERSION", "load", "load_objects"]
