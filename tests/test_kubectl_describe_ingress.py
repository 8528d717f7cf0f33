"""describe ingress through the in-process kubectl names each backend's endpoints, as kubectl does."""

from __future__ import annotations

from k8sedu import Cluster

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
      - {path: /gone, pathType: Prefix, backend: {service: {name: gone, port: {number: 80}}}}
"""


def test_describe_ingress_shows_backend_endpoints_and_missing_services() -> None:
    with Cluster(nodes=1, runtime="sim", progress=False) as c:
        c.kubectl("create deployment shop --image=k8sedu/web:v1 --port=80")
        c.kubectl("expose deployment shop --port=80")
        c.wait("deployment/shop", "Available", timeout=30)
        c.kubectl("apply -f -", stdin=INGRESS)
        pod_ip = c.get("pods", selector="app=shop")[0]["status"]["podIP"]
        out = c.kubectl("describe ingress site")
        assert f"/       shop:80 ({pod_ip}:80)" in out
        assert '/gone   gone:80 (<error: services "gone" not found>)' in out
