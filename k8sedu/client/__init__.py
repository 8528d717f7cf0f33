"""How components talk to the apiserver: a client, informer caches, a work queue, a worker loop."""

from __future__ import annotations

from .client import Client, EventRecorder
from .informer import Informer, InformerFactory
from .worker import Worker
from .workqueue import WorkQueue

__all__ = ["Client", "EventRecorder", "Informer", "InformerFactory", "Worker", "WorkQueue"]
