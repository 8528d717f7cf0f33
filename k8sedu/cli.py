"""The ``k8sedu`` command: one entry point for students and teachers.

Each subcommand is a thin shell around the module that does the work (``doctor``, the runtime's
images and cleanup, ``jupyter lab``), imported only when that subcommand runs.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "build_parser", "find_notebooks", "first_notebook", "lab_command"]

TOC = "00-目录.ipynb"
NOT_YET = 2  # exit status of a subcommand that is not available yet


def _version() -> str:
    try:
        return importlib.metadata.version("k8sedu")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def find_notebooks() -> Path:
    """The lessons folder: ``notebooks/`` of the checkout this package runs from, else of the cwd."""
    beside = Path(__file__).resolve().parent.parent / "notebooks"
    return beside if beside.is_dir() else Path.cwd() / "notebooks"


def first_notebook(folder: Path) -> str | None:
    """The notebook to open first: the table of contents, else the first lesson, else none."""
    if (folder / TOC).is_file():
        return TOC
    lessons = sorted(p.name for p in folder.glob("*.ipynb"))
    return lessons[0] if lessons else None


def lab_command(folder: Path, *, port: int | None = None, open_browser: bool = True,
                extra: Sequence[str] = ()) -> list[str]:
    """The ``jupyter lab`` command line serving *folder* and opening its first notebook."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    first = first_notebook(folder)
    if first is not None:
        cmd.append(f"--ServerApp.file_to_run={first}")
    if port is not None:
        cmd.append(f"--port={port}")
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # lab servers and containers often run as root
    cmd.extend(extra)
    return cmd


def _cmd_lab(args: argparse.Namespace, extra: list[str]) -> int:
    folder = (args.notebook_dir or find_notebooks()).resolve()
    if not folder.is_dir():
        print(f"✗ 找不到课程目录 / lessons folder not found: {folder}\n"
              "    修复 / fix: 在仓库目录中运行 / run inside the checkout, or --notebook-dir DIR",
              file=sys.stderr)
        return 1
    cmd = lab_command(folder, port=args.port, open_browser=not args.no_browser, extra=extra)
    sys.stdout.flush()
    if os.name == "posix":
        # Become jupyter: Ctrl-C, SIGTERM and the exit status then reach the server directly.
        os.execv(cmd[0], cmd)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130


def _cmd_doctor(args: argparse.Namespace, extra: list[str]) -> int:
    from k8sedu import doctor

    return doctor.main(strict=args.strict)


def _need_docker() -> bool:
    from k8sedu import doctor

    ok, detail = doctor.docker_status()
    if not ok:
        print(doctor.format_check(doctor.check_docker((ok, detail))), file=sys.stderr)
    return ok


def _cmd_images(args: argparse.Namespace, extra: list[str]) -> int:
    if args.images_command is None:
        args.images_parser.print_help()
        return 2
    if not _need_docker():
        return 1
    try:
        images = importlib.import_module("k8sedu.runtime.images")
    except ImportError as e:
        print(f"✗ 镜像模块不可用 / the images module is not available: {e}", file=sys.stderr)
        return 1
    from k8sedu import doctor

    try:
        client = doctor.docker_client(timeout=600)  # a build can take minutes
        try:
            if args.images_command == "build":
                images.build_images(client, progress=lambda msg: print(msg, flush=True),
                                    force=args.force)
            missing = set(images.missing_images(client))
        finally:
            client.close()
        names = list(images.IMAGES)
    except Exception as e:
        print(f"✗ {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    for name in names:
        print(f"✗ {name}  未构建 / not built" if name in missing else f"✓ {name}")
    if missing:
        print("    修复 / fix: k8sedu images build", file=sys.stderr)
        return 1
    return 0


def _cmd_cleanup(args: argparse.Namespace, extra: list[str]) -> int:
    if not _need_docker():
        return 1
    try:
        from k8sedu.runtime import cleanup_all
    except ImportError as e:
        print(f"✗ 运行时不可用 / the runtime is not available: {e}", file=sys.stderr)
        return 1
    try:
        report = cleanup_all(only_dead=not args.all)
    except Exception as e:
        print(f"✗ {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(report)  # a CleanupReport: says what was removed, in both languages
    return 0


def _cmd_serve(args: argparse.Namespace, extra: list[str]) -> int:
    import signal
    import threading

    from k8sedu import Cluster

    if args.namespace and not args.user:
        print("✗ --namespace 需要与 --user 一起使用 / --namespace needs --user", file=sys.stderr)
        return 2
    done = threading.Event()

    def stop(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    cluster = Cluster(nodes=args.nodes, runtime=args.runtime)
    try:
        cluster.start()
        path = cluster.serve(user=args.user, namespace=args.namespace, port=args.port,
                             kubeconfig=args.kubeconfig)
        print(f"✓ Kubernetes API: {cluster.http.url}（{args.nodes} 个节点，运行时 {cluster.runtime_name}）",
              file=sys.stderr)
        if args.user:
            print(f"  学生用户 / student user: {args.user}，命名空间 / namespace: "
                  f"{args.namespace or args.user}（ClusterRole edit）", file=sys.stderr)
        print("  在另一个终端中执行下面一行，然后使用 kubectl；按 Ctrl-C 停止集群。/ "
              "Run this line in another terminal, then use kubectl; Ctrl-C stops the cluster.",
              file=sys.stderr)
        print(f"export KUBECONFIG={path}", flush=True)
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("正在停止集群 / stopping the cluster…", file=sys.stderr)
        cluster.stop()
    return 0


def _cmd_grade(args: argparse.Namespace, extra: list[str]) -> int:
    # grading sits above the cli in the layer table (DESIGN.md §3): it runs as its own process,
    # which parses the arguments (``k8sedu grade --help``) and grades each notebook in a child.
    return subprocess.call([sys.executable, "-m", "k8sedu.grading.batch", *extra])


def _cmd_not_yet(args: argparse.Namespace, extra: list[str]) -> int:
    print(f"k8sedu {args.command}: 暂不可用（将在后续版本提供）/ "
          "not yet available (coming in a later release)", file=sys.stderr)
    return NOT_YET


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8sedu",
        description="Kubernetes 原理课堂：在 Jupyter 中运行的精简 Kubernetes 控制平面与中文课程。\n"
                    "Kubernetes internals classroom: a compact control plane in Jupyter, "
                    "with lessons in Chinese.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="第一次使用？先运行 / first time? run:  k8sedu doctor",
    )
    parser.add_argument("--version", action="version", version=f"k8sedu {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    lab = sub.add_parser(
        "lab", help="用 JupyterLab 打开课程 / open the lessons in JupyterLab",
        description="用 JupyterLab 打开 notebooks/ 中的课程（先打开目录）。其余参数传给 jupyter lab。\n"
                    "Open the lessons in notebooks/ in JupyterLab (the table of contents first). "
                    "Other arguments go to jupyter lab.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lab.add_argument("--no-browser", action="store_true",
                     help="不自动打开浏览器 / do not open a browser")
    lab.add_argument("--port", type=int, help="端口 / port (default: jupyter's 8888 or the next free)")
    lab.add_argument("--notebook-dir", type=Path,
                     help="课程目录 / lessons folder (default: notebooks/ of the checkout)")
    lab.set_defaults(func=_cmd_lab, extra_ok=True)

    doctor = sub.add_parser(
        "doctor", help="检查环境并给出修复方法 / check this machine and say how to fix it",
        description="检查 Python 依赖、Docker、离线镜像、中文字体和 kubectl。\n"
                    "Check the Python dependencies, Docker, the offline images, CJK fonts and "
                    "kubectl.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    doctor.add_argument("--strict", action="store_true",
                        help="任何一项未通过即失败 / fail on any ✗, not only the essential ones")
    doctor.set_defaults(func=_cmd_doctor)

    images = sub.add_parser(
        "images", help="构建或列出离线镜像 / build or list the offline images",
        description="k8sedu/pause, k8sedu/busybox, k8sedu/web:v1, k8sedu/web:v2：本地构建，无需联网。\n"
                    "Built locally, no network needed.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    images_sub = images.add_subparsers(dest="images_command", metavar="ACTION")
    build = images_sub.add_parser("build", help="构建缺失的镜像 / build the missing images")
    build.add_argument("--force", action="store_true", help="全部重新构建 / rebuild them all")
    images_sub.add_parser("list", help="列出镜像及其状态 / list the images and whether built")
    images.set_defaults(func=_cmd_images, images_parser=images)

    cleanup = sub.add_parser(
        "cleanup", help="删除已退出内核留下的容器和网络 / remove what dead kernels left behind",
        description="删除已结束的集群留下的容器、网络和卷。--all 也删除仍在运行的集群的资源。\n"
                    "Remove the containers, networks and volumes of clusters whose kernel is gone. "
                    "--all removes those of live clusters too.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cleanup.add_argument("--all", action="store_true",
                         help="包括仍在运行的集群 / include live clusters")
    cleanup.set_defaults(func=_cmd_cleanup)

    serve = sub.add_parser(
        "serve", help="集群与 Kubernetes API，供真实 kubectl 使用 / a cluster and its API for kubectl",
        description="启动一个集群，并在 127.0.0.1 上提供 Kubernetes API；写出 kubeconfig 并打印 "
                    "export KUBECONFIG=... 一行。按 Ctrl-C 停止。\n"
                    "Start a cluster and serve its Kubernetes API on 127.0.0.1; write a kubeconfig and "
                    "print the export KUBECONFIG=... line. Ctrl-C stops it.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--nodes", type=int, default=3, help="节点数 / number of nodes (default 3)")
    serve.add_argument("--runtime", choices=("auto", "docker", "sim"), default="auto",
                       help="容器运行时 / container runtime (default auto)")
    serve.add_argument("--port", type=int, default=0, help="端口 / port (default: a free one)")
    serve.add_argument("--kubeconfig", type=Path,
                       help="kubeconfig 写到哪里 / where to write the kubeconfig (default: a temp folder)")
    serve.add_argument("--user", help="再加一个学生用户（该命名空间内的 edit 权限）/ "
                                      "also add a student user (ClusterRole edit in its namespace)")
    serve.add_argument("--namespace", help="学生用户的命名空间 / the student's namespace (default: the user name)")
    serve.set_defaults(func=_cmd_serve)

    grade = sub.add_parser(
        "grade", add_help=False, prefix_chars="\0",  # every argument, --help too, goes to the grader
        help="批量评分练习 / grade exercises for a class: k8sedu grade exercises/NN-slug "
             "submissions/*.ipynb --out grades.csv",
    )
    grade.set_defaults(func=_cmd_grade, extra_ok=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if extra and not getattr(args, "extra_ok", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    result: int = args.func(args, extra)
    return result
