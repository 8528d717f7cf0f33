"""kube-proxy's relay process: listeners, choice, REJECT and flow records, driven over its channel."""

from __future__ import annotations

import queue
import socket
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from k8sedu import Cluster
from k8sedu.clock import Clock
from k8sedu.proxy.relayproc import FlowRecord, RelayProcess
from k8sedu.proxy.rules import Endpoint, ServicePort

KEY = ("default", "web", 80)


class Backend:
    """A TCP server on 127.0.0.1 that answers each connection with its name and closes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(self.name.encode())

    def close(self) -> None:
        self.sock.close()


def _ask(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        data = b""
        while chunk := s.recv(100):
            data += chunk
    return data.decode()


@pytest.fixture
def relay() -> Iterator[tuple[RelayProcess, queue.Queue[FlowRecord], list[Backend]]]:
    records: queue.Queue[FlowRecord] = queue.Queue()
    backends = [Backend("a"), Backend("b")]
    rp = RelayProcess("iptables", Clock(), records.put)
    rp.start()
    try:
        yield rp, records, backends
    finally:
        rp.stop()
        for b in backends:
            b.close()


def _table(backends: list[Backend]) -> dict[tuple[str, str, int], ServicePort]:
    eps = tuple(Endpoint(f"10.244.1.{i + 2}", 80, f"default/{b.name}", target=("127.0.0.1", b.port))
                for i, b in enumerate(backends))
    return {KEY: ServicePort("default", "web", 80, cluster_ip="10.96.0.20", endpoints=eps)}


def test_relays_and_records_each_connection(relay: tuple[RelayProcess, queue.Queue[FlowRecord], list[Backend]]) -> None:
    rp, records, backends = relay
    rp.set_table(_table(backends))
    port = rp.listen(("svc", KEY))
    answers = Counter(_ask(port) for _ in range(40))
    assert set(answers) == {"a", "b"} and sum(answers.values()) == 40
    got = [records.get(timeout=5) for _ in range(40)]
    for sp, client, choice, via, served in got:
        assert sp.key == KEY and via == "clusterIP" and client[0] == "127.0.0.1"
        assert choice is not None and choice.of == 2 and served is not None
    assert Counter(r[4].pod_name for r in got if r[4]) == answers



def test_records_of_an_earlier_table_keep_its_endpoints(
        relay: tuple[RelayProcess, queue.Queue[FlowRecord], list[Backend]]) -> None:
    """Records are batched and name their table by version: all are in when flush() returns, and
    a record still on its way when the table changes is told with the endpoints it was chosen from."""
    rp, records, backends = relay
    rp.set_table(_table(backends))
    port = rp.listen(("svc", KEY))
    answers = [_ask(port) for _ in range(25)]
    rp.set_table(_table(backends[:1]))  # b leaves before the records are read
    rp.flush()
    assert records.qsize() == 25  # no waiting: flush() came after every record
    got = [records.get_nowait() for _ in range(25)]
    assert [r[4].pod_name for r in got if r[4]] == answers
    assert all(len(r[0].endpoints) == 2 for r in got)

def test_ipvs_mode_is_round_robin(relay: tuple[RelayProcess, queue.Queue[FlowRecord], list[Backend]]) -> None:
    rp, _, backends = relay
    rp.set_mode("ipvs")
    rp.set_table(_table(backends))
    port = rp.listen(("svc", KEY))
    seq = [_ask(port) for _ in range(10)]
    assert all(seq[i] != seq[i + 1] for i in range(9)), seq


def test_refusing_and_no_endpoints(relay: tuple[RelayProcess, queue.Queue[FlowRecord], list[Backend]]) -> None:
    rp, records, backends = relay
    rp.set_table(_table(backends))
    port = rp.listen(("svc", KEY))
    rp.set_refusing(("svc", KEY), True)
    rp.flush()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    rp.set_refusing(("svc", KEY), False)
    rp.set_table(_table([]))  # listening, but nothing to choose: the connection is reset
    rp.flush()
    with pytest.raises(OSError):
        _ask(port)
    sp, _, choice, _, served = records.get(timeout=5)
    assert choice is None and served is None and sp.key == KEY
    with pytest.raises(OSError):  # the port is taken
        rp.listen(("nodeport", KEY), port=port)


def test_stop_ends_the_child() -> None:
    rp = RelayProcess("iptables", Clock(), lambda _r: None)
    rp.start()
    proc = rp._proc
    assert proc is not None and proc.poll() is None
    rp.stop()
    assert proc.poll() is not None


def test_cluster_proxy_uses_a_relay_process() -> None:
    with Cluster(nodes=1, runtime="sim", progress=False) as c:
        assert c.proxy.relay_mode == "process"
        proc = c.proxy.data._proc
        assert proc is not None and proc.poll() is None
    assert proc.poll() is not None
