"""A report as plain blocks (text, tables, figures, code) rendered twice from the same values: a
self-contained HTML page (figures inlined as base64 PNG, no network) and Markdown beside PNG files."""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator  # noqa: E402


@dataclass
class Table:
    """Cells are strings already formatted, so HTML and Markdown show the same numbers."""

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Figure:
    name: str  # file stem: the PNG is written as <name>.png beside report.md
    png: bytes
    caption: str = ""


@dataclass
class Text:
    text: str


@dataclass
class Code:
    text: str
    language: str = ""


@dataclass
class Section:
    """One titled part of a report; `data` lands in the report's metrics.json under `key`."""

    title: str
    blocks: list = field(default_factory=list)
    key: str = ""
    data: dict = field(default_factory=dict)


def epoch_axis(ax: plt.Axes) -> None:
    """Whole epochs on the x axis, even for a run of one or two epochs (where matplotlib's integer
    locator falls back to fractions): the axis spans at least half an epoch beyond the points."""
    low, high = ax.dataLim.intervalx
    ax.set_xlim(min(low - 0.5, ax.get_xlim()[0]), max(high + 0.5, ax.get_xlim()[1]))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.set_xlabel("epoch")


def figure_png(fig: plt.Figure) -> bytes:
    """Renders a matplotlib figure to PNG bytes and closes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1100px; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc;
     padding-bottom: .15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .25em .55em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; color: #555; padding-bottom: .3em; }
figure { margin: .8em 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: .9em; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: .85em; white-space: pre-wrap; }
@media print { body { max-width: none; margin: 0; font-size: 11pt; }
  section, figure, table { break-inside: avoid; } pre { white-space: pre-wrap; } }
"""


def _is_number(cell: str) -> bool:
    return cell.replace(".", "", 1).replace("-", "", 1).replace("%", "").replace(",", "").isdigit()


def _html_block(block) -> str:
    if isinstance(block, Text):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, Code):
        return f"<pre><code>{html.escape(block.text)}</code></pre>"
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        return (f'<figure><img alt="{html.escape(block.caption or block.name)}" '
                f'src="data:image/png;base64,{data}"><figcaption>{html.escape(block.caption)}'
                "</figcaption></figure>")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in block.columns)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{html.escape(c)}</td>' if _is_number(c) else f"<td>{html.escape(c)}</td>"
        for c in row) + "</tr>" for row in block.rows)
    caption = f"<caption>{html.escape(block.caption)}</caption>" if block.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(title: str, sections: list[Section]) -> str:
    parts = [f"<section><h2>{html.escape(s.title)}</h2>"
             + "\n".join(_html_block(b) for b in s.blocks) + "</section>" for s in sections]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>"
            f"<h1>{html.escape(title)}</h1>\n" + "\n".join(parts) + "\n</body></html>\n")


def _md_cell(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _md_block(block) -> str:
    if isinstance(block, Text):
        return block.text
    if isinstance(block, Code):
        return f"```{block.language}\n{block.text.rstrip()}\n```"
    if isinstance(block, Figure):
        alt = " ".join((block.caption or block.name).replace("[", "(").replace("]", ")").split())
        return f"![{alt}]({block.name}.png)"  # one line: a blank line in alt text breaks the image
    lines = [f"*{block.caption}*", ""] if block.caption else []
    lines += ["| " + " | ".join(map(_md_cell, block.columns)) + " |",
              "|" + "---|" * len(block.columns)]
    lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in block.rows]
    return "\n".join(lines)


def render_markdown(title: str, sections: list[Section]) -> str:
    parts = [f"# {title}"]
    for section in sections:
        parts.append(f"## {section.title}")
        parts += [_md_block(b) for b in section.blocks]
    return "\n\n".join(parts) + "\n"


def write_report(out_dir: Path, title: str, sections: list[Section]) -> Path:
    """Writes report.html, report.md and every figure as <name>.png into `out_dir`; returns the
    HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [b.name for s in sections for b in s.blocks if isinstance(b, Figure)]
    if len(names) != len(set(names)):
        raise ValueError(f"figure names must be unique, got {sorted(names)}")
    old_md = out_dir / "report.md"
    if old_md.is_file():  # figures of an earlier report here that this one does not have
        for stale in set(re.findall(r"\]\(([\w.-]+)\.png\)", old_md.read_text())) - set(names):
            (out_dir / f"{stale}.png").unlink(missing_ok=True)
    for section in sections:
        for block in section.blocks:
            if isinstance(block, Figure):
                (out_dir / f"{block.name}.png").write_bytes(block.png)
    (out_dir / "report.md").write_text(render_markdown(title, sections))
    path = out_dir / "report.html"
    path.write_text(render_html(title, sections))
    return path
