"""`evaluate(run=RUN_DIR or ckpt=PATH) -> report.html`: loads the best checkpoint, predicts the test
split, and writes report.html (self-contained), report.md, metrics.json and the PNG figures."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from seqtasks.reports.document import Section, write_report
from seqtasks.reports.gates import gate_section
from seqtasks.reports.gradients import gradient_section
from seqtasks.reports.registry import collect_test, task_report_for
from seqtasks.reports.runs import load_run
from seqtasks.reports.sections import (
    config_section,
    header_section,
    learning_curves_section,
    test_metrics_section,
)
from seqtasks.reports.summary import data_label


def report_dir(run_dir: Path | None, ckpt: Path, data: dict, out) -> Path:
    """`out` if given; else RUN_DIR/report, or RUN_DIR/report-<data>-<hash of the overrides> for
    overridden data (so the report on the run's own data stays, and two different overrides never
    share a folder), or beside a checkpoint outside a run directory."""
    if out is not None:
        return Path(out)
    base = run_dir if run_dir is not None else ckpt.parent
    if not data:
        return base / "report"
    label = data_label({"data": data}).replace(" -> ", "-").replace("/", "_").replace(" ", "_")
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:6]
    return base / f"report-{label}-{digest}"


def report_metrics(sections: list[Section]) -> dict:
    """metrics.json of a report: sections without a key add flat entries, others nest under it."""
    merged: dict = {}
    for section in sections:
        if section.key:
            merged[section.key] = section.data
        else:
            merged.update(section.data)
    return merged


def evaluate(run=None, ckpt=None, data: dict | None = None, out=None, resamples: int = 1000) -> Path:
    """Writes the evaluation report of a run (or a checkpoint) and returns the report.html path.
    `data` overrides keys of the run's data config to evaluate on other data."""
    loaded = load_run(run, ckpt, data)
    report = task_report_for(type(loaded.model))
    ctx = collect_test(loaded, report)
    sections = [header_section(loaded, len(ctx.rows)), learning_curves_section(loaded),
                test_metrics_section(ctx, report, resamples)]
    sections += [build(ctx) for build in report.sections]
    sections += [gate_section(ctx), gradient_section(ctx)]
    sections = [s for s in sections if s is not None]  # a section may not apply to this run
    sections.append(config_section(loaded))
    out_dir = report_dir(loaded.run_dir, loaded.ckpt_path, loaded.data_overrides, out)
    data_config = {**loaded.config["data"], **loaded.data_overrides}
    title = f"{loaded.task_name} on {data_label({'data': data_config})}"
    path = write_report(out_dir, title, sections)
    summary = {"run": str(loaded.run_dir or ""), "checkpoint": str(loaded.ckpt_path),
               "data_overrides": loaded.data_overrides, **report_metrics(sections)}
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    return path
