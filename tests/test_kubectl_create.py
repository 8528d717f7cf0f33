"""``kubectl create <kind>`` generators: the object each builds is what kubectl 1.32 builds (checked
against the real binary offline with --dry-run=client -o yaml), and the server accepts it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from k8sedu import Cluster
from k8sedu.errors import KubectlError

KUBECTL = shutil.which("kubectl")

# commands the real kubectl can dry-run without a server (role/clusterrole need discovery)
OFFLINE = [
    "create configmap app --from-literal=color=blue --from-literal=size=2",
    "create secret generic db --from-literal=password=s3cr3t",
    "create secret generic typed --from-literal=k=v --type=example.com/x",
    "create serviceaccount robot",
    "create rolebinding read --role=pod-reader --user=jane --group=devs --serviceaccount=default:robot",
    "create rolebinding view --clusterrole=view --user=jane",
    "create clusterrolebinding cr --clusterrole=view --group=devs",
    "create quota small --hard=pods=2,requests.cpu=1",
    "create service clusterip web --tcp=80:8080",
    "create service clusterip headless --clusterip=None",
    "create service nodeport np --tcp=80 --node-port=30080",
    "create job once --image=busybox --dry-run=client -o yaml -- echo hi",
    "create cronjob tick --image=busybox '--schedule=*/1 * * * *' --dry-run=client -o yaml -- date",
]


@pytest.fixture(scope="module")
def c() -> Iterator[Cluster]:
    cluster = Cluster(nodes=1, runtime="sim", progress=False).start()
    yield cluster
    cluster.stop()


def _dry(command: str) -> list[str]:
    words = shlex.split(command)
    return words if "--dry-run=client" in words else words + ["--dry-run=client", "-o", "yaml"]


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl is not installed")
@pytest.mark.parametrize("command", OFFLINE)
def test_dry_run_yaml_matches_real_kubectl(c: Cluster, command: str) -> None:
    words = _dry(command)
    real = subprocess.run([KUBECTL or "kubectl", *words], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "KUBECONFIG": os.devnull})
    assert real.returncode == 0, real.stderr
    assert c.kubectl(words) == real.stdout


@pytest.mark.parametrize(("command", "message"), [
    ("create configmap x --from-literal=a=1 --from-literal=a=2",
     'error: cannot add key "a", another key by that name already exists in Data for ConfigMap "x"'),
    ("create configmap x '--from-literal=a b=1'",
     "error: \"a b\" is not a valid key name for a ConfigMap: a valid config key must consist of alphanumeric "
     "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation "
     "is '[-._a-zA-Z0-9]+')"),
    ("create configmap x --from-literal=ab", "error: invalid literal source ab, expected key=value"),
    ("create rolebinding x --user=u", "error: exactly one of clusterrole or role must be specified"),
])
def test_bad_input_in_kubectls_words(c: Cluster, command: str, message: str) -> None:
    with pytest.raises(KubectlError) as err:
        c.kubectl(shlex.split(command))
    assert str(err.value) == message
    if KUBECTL:
        real = subprocess.run([KUBECTL, *_dry(command)], capture_output=True, text=True, timeout=30,
                              env={**os.environ, "KUBECONFIG": os.devnull})
        assert real.stderr.strip() == message


def test_created_objects_work(c: Cluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    conf = tmp_path / "app.conf"
    conf.write_text("color=blue\n")
    assert c.kubectl(f"create configmap files --from-file={conf} --from-file=renamed.conf={conf}") == \
        "configmap/files created\n"
    assert set(c.get("configmap/files")["data"]) == {"app.conf", "renamed.conf"}
    assert c.kubectl("create secret generic pw --from-literal=password=s3cr3t") == "secret/pw created\n"
    assert c.get("secret/pw")["data"] == {"password": "czNjcjN0"}
    assert c.kubectl("create role pod-reader --verb=get,list,watch --resource=pods,deployments.apps,pods/log") == \
        "role.rbac.authorization.k8s.io/pod-reader created\n"
    rules = c.get("role/pod-reader")["rules"]
    assert rules == [{"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods", "pods/log"]},
                     {"verbs": ["get", "list", "watch"], "apiGroups": ["apps"], "resources": ["deployments"]}]
    c.kubectl("create rolebinding read --role=pod-reader --user=jane")
    assert c.kubectl("auth can-i list pods --as=jane") == "yes\n"
    assert c.kubectl("auth can-i delete pods --as=jane") == "no\n"
    with pytest.raises(KubectlError, match='invalid verb: "fly"'):
        c.kubectl("create role bad --verb=fly --resource=pods")
    with pytest.raises(KubectlError, match='the server doesn\'t have a resource type "nopes"'):
        c.kubectl("create role bad --verb=get --resource=nopes")
    with pytest.raises(KubectlError, match='The CronJob "badc" is invalid: spec.schedule'):
        c.kubectl(["create", "cronjob", "badc", "--image=k8sedu/tools:v1", "--schedule=nope", "--", "date"])
    assert c.kubectl("get cronjobs --no-headers --ignore-not-found") == ""  # refused: nothing created


def test_auth_whoami_shows_the_user_after_impersonation(c: Cluster) -> None:
    assert c.kubectl("auth whoami") == ("ATTRIBUTE   VALUE\nUsername    kubernetes-admin\n"
                                        "Groups      [system:masters system:authenticated]\n")
    assert "Username    jane\nGroups      [system:authenticated]\n" in c.kubectl("auth whoami --as=jane")
    out = c.kubectl("auth whoami --as=system:serviceaccount:default:robot -o yaml")
    assert "- system:serviceaccounts\n    - system:serviceaccounts:default\n    - system:authenticated\n" in out
    # a RoleBinding to the group of every service account in the namespace applies to robot
    c.kubectl("create rolebinding sa-view --clusterrole=view --group=system:serviceaccounts:default")
    assert c.kubectl("auth can-i list configmaps --as=system:serviceaccount:default:robot") == "yes\n"
