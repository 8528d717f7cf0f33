"""``python -m k8sedu``: the same as the ``k8sedu`` command."""

from __future__ import annotations

from k8sedu.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
