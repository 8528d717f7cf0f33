"""The offline images, built on this machine: classrooms are often offline or cannot reach Docker Hub.

::

    k8sedu/busybox   FROM busybox if that image is already here, else FROM scratch + the host's
                     static busybox (Debian's busybox-static) with `busybox --install -s /bin`
      ├── k8sedu/pause   a shell that sleeps forever and exits 0 on SIGTERM (the Pod sandbox)
      ├── k8sedu/web:v1  busybox httpd on :80, page "hostname=<pod> version=v1", /healthz -> ok
      └── k8sedu/web:v2  the same with version=v2 (for rolling updates and rollbacks)

The build contexts are the folders next to this module (``images/busybox``, ``images/pause``,
``images/web``); they are sent to the engine as an in-memory tar, so no network and no registry are
needed. Every image is labelled ``k8sedu.image=1`` and ``k8sedu.image.digest=<hash of its build
context>``: an image built by an older k8sedu (different digest) counts as missing and is rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import tarfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from k8sedu.runtime.errors import ContainerRuntimeError
from k8sedu.runtime.naming import LABEL_IMAGE, normalize_image

__all__ = [
    "IMAGES",
    "ImageSpec",
    "SPECS",
    "CONTEXT_DIR",
    "is_ours",
    "missing_images",
    "build_images",
    "build_image",
    "host_busybox",
    "ImageBuildError",
]

CONTEXT_DIR = Path(__file__).with_name("images")
LABEL_DIGEST = "k8sedu.image.digest"
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox", "/usr/local/bin/busybox")


class ImageBuildError(ContainerRuntimeError):
    """An offline image could not be built; the message says why and what to do (中文 + English)."""


@dataclass(frozen=True)
class ImageSpec:
    """One image we build: its reference, build-context folder, build args and the images it is FROM."""

    ref: str
    context: str
    buildargs: dict[str, str] = field(default_factory=dict)
    depends: tuple[str, ...] = ()


SPECS: dict[str, ImageSpec] = {
    "k8sedu/busybox:latest": ImageSpec("k8sedu/busybox:latest", "busybox"),
    "k8sedu/pause:latest": ImageSpec("k8sedu/pause:latest", "pause", depends=("k8sedu/busybox:latest",)),
    "k8sedu/web:v1": ImageSpec("k8sedu/web:v1", "web", {"VERSION": "v1"}, ("k8sedu/busybox:latest",)),
    "k8sedu/web:v2": ImageSpec("k8sedu/web:v2", "web", {"VERSION": "v2"}, ("k8sedu/busybox:latest",)),
}
# In build order (dependencies first).
IMAGES: list[str] = ["k8sedu/busybox", "k8sedu/pause", "k8sedu/web:v1", "k8sedu/web:v2"]

# guards: building (one build of our images at a time in this process); taken alone.
_build_lock = threading.Lock()


def _key(image: str) -> str:
    """``k8sedu/busybox`` -> ``k8sedu/busybox:latest`` (the key of SPECS), for any spelling."""
    ref = normalize_image(image)
    return ref[len("docker.io/") :] if ref.startswith("docker.io/") else ref


def is_ours(image: str) -> bool:
    """True for the images this module builds (``k8sedu/web:v1``, ``docker.io/k8sedu/pause``…)."""
    return _key(image) in SPECS


def _context_files(spec: ImageSpec) -> dict[str, bytes]:
    folder = CONTEXT_DIR / spec.context
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _digest(key: str) -> str:
    """A hash of everything that goes into the image except the base binary: context, args, deps."""
    spec = SPECS[key]
    h = hashlib.sha256()
    for name, data in _context_files(spec).items():
        h.update(name.encode() + b"\0" + data + b"\0")
    for k, v in sorted(spec.buildargs.items()):
        h.update(f"{k}={v}\0".encode())
    for dep in spec.depends:
        h.update(_digest(dep).encode())
    return h.hexdigest()[:16]


def _present(client: Any) -> dict[str, str]:
    """Our images present in the engine: ``{"k8sedu/web:v1": digest-label}`` (one engine call)."""
    out: dict[str, str] = {}
    for img in client.api.images(filters={"label": f"{LABEL_IMAGE}=1"}):
        for tag in img.get("RepoTags") or []:
            out[_key(tag)] = (img.get("Labels") or {}).get(LABEL_DIGEST, "")
    return out


def missing_images(client: Any) -> list[str]:
    """The images of :data:`IMAGES` that are absent, or were built from an older build context."""
    present = _present(client)
    return [ref for ref in IMAGES if present.get(_key(ref)) != _digest(_key(ref))]


# -- the static busybox of the host -----------------------------------------------------------------

_ELF_MACHINES = {62: "amd64", 183: "arm64", 3: "386", 40: "arm"}


def _elf_info(path: str) -> tuple[bool, str] | None:
    """(is_static, arch) of an ELF executable, or None if it is not one. Static = no PT_INTERP."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF":
                return None
            is64 = head[4] == 2
            end = "<" if head[5] == 1 else ">"
            machine = struct.unpack(end + "H", head[18:20])[0]
            if is64:
                phoff = struct.unpack(end + "Q", head[32:40])[0]
                phentsize, phnum = struct.unpack(end + "HH", head[54:58])
            else:
                phoff = struct.unpack(end + "I", head[28:32])[0]
                phentsize, phnum = struct.unpack(end + "HH", head[42:46])
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return None
    for i in range(phnum):
        (p_type,) = struct.unpack(end + "I", table[i * phentsize : i * phentsize + 4])
        if p_type == 3:  # PT_INTERP: needs a dynamic loader, useless in an empty image
            return False, _ELF_MACHINES.get(machine, str(machine))
    return True, _ELF_MACHINES.get(machine, str(machine))


def host_busybox(arch: str | None = None) -> str | None:
    """Path of a static busybox on this machine (for *arch*, e.g. "amd64"), or None.

    ``K8SEDU_BUSYBOX`` names one explicitly; else the usual places and ``$PATH`` are tried.
    """
    candidates = [os.environ.get("K8SEDU_BUSYBOX", ""), *BUSYBOX_CANDIDATES, shutil.which("busybox") or ""]
    for path in candidates:
        if not path or not os.path.isfile(path):
            continue
        info = _elf_info(os.path.realpath(path))
        if info and info[0] and (arch is None or info[1] == arch):
            return os.path.realpath(path)
    return None


# -- building ---------------------------------------------------------------------------------------


def _tar(files: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name.endswith(".sh") or name == "busybox" else 0o644
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def _engine_arch(client: Any) -> str | None:
    try:
        return str(client.api.version().get("Arch") or "") or None
    except Exception:
        return None


def _has_local(client: Any, ref: str) -> bool:
    try:
        client.api.inspect_image(ref)
        return True
    except Exception:
        return False


def _busybox_files(client: Any, say: Callable[[str], None], allow_pull: bool, base: str | None) -> dict[str, bytes]:
    """Choose how to build k8sedu/busybox; returns the build context (with ``Dockerfile``)."""
    files = _context_files(SPECS["k8sedu/busybox:latest"])
    scratch = {k: v for k, v in files.items() if k != "Dockerfile.from-image"}
    from_image = {"Dockerfile": files["Dockerfile.from-image"]}
    if base is None and _has_local(client, "busybox:latest"):
        base = "image"
    if base == "image":
        say("k8sedu/busybox：使用本机已有的 busybox 镜像 (using the local busybox image)")
        return from_image
    arch = _engine_arch(client)
    path = host_busybox(arch)
    if path:
        say(f"k8sedu/busybox：离线构建，使用本机静态 busybox {path} (offline, FROM scratch + {path})")
        scratch["busybox"] = Path(path).read_bytes()
        return scratch
    if allow_pull and base is None:
        say("k8sedu/busybox：本机没有静态 busybox，尝试拉取 busybox 镜像 (no static busybox here: pulling busybox)")
        try:
            client.api.pull("busybox", tag="latest")
            return from_image
        except Exception as e:  # offline: say what to do instead
            cause = str(e)
        else:  # pragma: no cover
            cause = ""
    else:
        cause = "pulling is not allowed"
    raise ImageBuildError(
        "无法离线构建 k8sedu/busybox：本机没有静态 busybox（Debian/Ubuntu: apt-get install busybox-static），"
        "也无法拉取 busybox 镜像。可以设置 K8SEDU_BUSYBOX=<静态 busybox 路径>，或在联网时执行 docker pull busybox。\n"
        "Cannot build k8sedu/busybox offline: no static busybox on this machine (apt-get install busybox-static) "
        f"and the busybox image cannot be pulled ({cause}). Set K8SEDU_BUSYBOX=<path> or run `docker pull busybox`."
    )


def build_image(
    client: Any,
    ref: str,
    *,
    tag: str | None = None,
    nocache: bool = False,
    base: str | None = None,
    busybox_source: str | None = None,
    progress: Callable[[str], None] | None = None,
    allow_pull: bool = True,
) -> str:
    """Build one of :data:`IMAGES` and return its image id.

    ``tag`` builds it under another name (tests build a fresh ``k8sedu-test/...`` tag, with
    ``nocache=True``, to prove the build works from nothing). ``base`` replaces the ``FROM`` of
    pause and web (default ``k8sedu/busybox``). ``busybox_source`` forces how busybox is built:
    "scratch" (the host's static busybox) or "image" (the local ``busybox`` image).
    """
    key = _key(ref)
    spec = SPECS[key]
    say = progress or (lambda _msg: None)
    buildargs = dict(spec.buildargs)
    if key == "k8sedu/busybox:latest":
        files = _busybox_files(client, say, allow_pull, busybox_source)
    else:
        files = _context_files(spec)
        if base:
            buildargs["BASE"] = base
    name = tag or key
    say(f"正在构建镜像 {name} … (building image {name})")
    stream = client.api.build(
        fileobj=_tar(files),
        custom_context=True,
        tag=name,
        buildargs=buildargs,
        labels={LABEL_IMAGE: "1", LABEL_DIGEST: _digest(key)},
        rm=True,
        forcerm=True,
        nocache=nocache,
        pull=False,
        decode=True,
    )
    image_id, log = "", list[str]()
    for chunk in stream:
        if "error" in chunk:
            detail = "".join(log[-5:]).strip()
            raise ImageBuildError(f"构建 {name} 失败 (building {name} failed): {chunk['error'].strip()}\n{detail}")
        if "stream" in chunk:
            log.append(chunk["stream"])
        aux = chunk.get("aux") or {}
        if "ID" in aux:
            image_id = aux["ID"]
    if not image_id:
        image_id = client.api.inspect_image(name)["Id"]
    return image_id


def build_images(
    client: Any,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
    allow_pull: bool = True,
    only: list[str] | None = None,
) -> list[str]:
    """Build the missing images (all of them with ``force``); returns the references built.

    ``only`` limits the work to these images and what they are built FROM (``pull_image`` of
    ``k8sedu/web:v1`` builds busybox and web:v1, not pause).
    """
    say = progress or (lambda _msg: None)
    with _build_lock:
        todo = list(IMAGES) if force else missing_images(client)
        if only is not None:
            wanted: set[str] = set()
            for ref in only:
                key = _key(ref)
                wanted |= {key, *SPECS[key].depends}
            todo = [r for r in todo if _key(r) in wanted]
        if not todo:
            return []
        say("正在准备离线镜像 (preparing offline images): " + ", ".join(todo))
        for ref in todo:
            build_image(client, ref, progress=say, allow_pull=allow_pull)
        say("镜像已就绪 (images ready): " + ", ".join(todo))
        return todo
