"""Go's ``text/tabwriter``, the aligner behind every table kubectl prints.

kubectl writes tab-separated lines and lets tabwriter pad them into columns; ``get`` uses minimum
width 6 and padding 3, ``describe`` minimum width 0 and padding 2. The subtle part is that a
column's width is set per *block* of consecutive lines that have a cell in it (here as
``describe`` writes, minimum width 0, padding 2)::

    input lines            output
    "Name:\\tweb"           Name:   web        one block: both lines have a cell in column 0,
    "Ready:\\t1/1"          Ready:  1/1        as wide as "Ready:" plus the padding
    "Containers:"          Containers:        no tab, so the block ends here
    "  app:\\tnginx"          app:  nginx      a new block, with a width of its own
"""

from __future__ import annotations

__all__ = ["tabwrite"]


def tabwrite(text: str, *, minwidth: int = 6, padding: int = 3) -> str:
    """Align tab-separated *text* exactly as Go's ``text/tabwriter`` does (padchar ' ', no flags).

    A cell is text ending in a tab; the text after a line's last tab is not part of any column.
    Widths are set per block of lines, as the module docstring draws.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []

    def write_lines(line0: int, line1: int, widths: list[int]) -> None:
        for i in range(line0, line1):
            cells = lines[i]
            parts: list[str] = []
            for j, cell in enumerate(cells):
                parts.append(cell)
                if j < len(widths) and j < len(cells) - 1:
                    parts.append(" " * (widths[j] - len(cell)))
            out.append("".join(parts))

    def fmt(line0: int, line1: int, widths: list[int]) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this, widths)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            fmt(line0, this, widths + [width])
            line0 = this
        write_lines(line0, line1, widths)

    fmt(0, len(lines), [])
    return "\n".join(out)
