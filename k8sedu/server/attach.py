"""``kubectl attach``: the container's main process, carried over the exec WebSocket channels.

Unlike ``exec`` nothing new is started: the kubelet hands over the running process's stream (the
runtime's ``attach``: Docker's attach socket, or the sim's log as it grows), and this module
copies it both ways until the process exits or the client goes::

    kubectl ──ws channel 0 (stdin)──▶ stream.write        stream.read ──▶ channel 1/2 ──▶ kubectl
            ◀─ channel 3: {"status": "Success"} when the process exits

A client that leaves (Ctrl-C) only detaches: the container keeps running, as upstream.
"""

from __future__ import annotations

import json
import threading

from ..runtime.base import AttachStream
from . import websocket

__all__ = ["copy_attach"]


def copy_attach(ws: websocket.WebSocket, stream: AttachStream, stdin: bool, stopping: threading.Event) -> None:
    """Copy *stream* to *ws* and *ws*'s stdin channel to *stream* until either side ends."""
    gone = threading.Event()  # the client closed the WebSocket
    done = threading.Event()  # this copy is over

    def pump_in() -> None:
        while True:
            message = ws.receive()
            if message is None:
                gone.set()
                stream.close()
                return
            payload = message[1]
            if not payload:
                continue
            channel, rest = payload[0], payload[1:]
            if channel == websocket.STDIN and stdin:
                stream.write(rest)
            elif channel == websocket.CLOSE and rest[:1] == bytes([websocket.STDIN]):
                stream.close_stdin()
            # channel 4 (resize) has nothing to act on: our containers have no TTY

    def watch_stop() -> None:
        while not done.wait(0.5):
            if stopping.is_set():
                stream.close()
                return

    threading.Thread(target=pump_in, name="attach-stdin", daemon=True).start()
    threading.Thread(target=watch_stop, name="attach-stop", daemon=True).start()
    try:
        while True:
            item = stream.read()
            if item is None:
                break
            ws.send_channel(item[0], item[1])
    except OSError:
        gone.set()
    finally:
        done.set()
        stream.close()
    if not gone.is_set():
        try:
            ws.send_channel(websocket.ERROR, json.dumps({"metadata": {}, "status": "Success"}).encode())
        except OSError:
            pass
        ws.close()
