"""`compare(run_dirs) -> report.html`: runs of one task side by side. Runs that differ only in
seed form a group, reported as mean ± standard deviation; learning curves are overlaid, and the
task's own comparison sections (per-class F1 for classifiers) come from its TaskReport."""

from __future__ import annotations

import itertools
import json
import statistics
import time
from pathlib import Path

import numpy as np
from hydra.utils import get_class

from seqtasks.reports.bootstrap import paired_difference
from seqtasks.reports.document import Figure, Section, Table, Text, epoch_axis, figure_png, plt, write_report
from seqtasks.reports.gradients import compare_gradients_section
from seqtasks.reports.registry import collect_test, task_report_for
from seqtasks.reports.runs import load_run, read_epoch_metrics
from seqtasks.reports.sections import fmt
from seqtasks.reports.summary import group_runs, load_runs, mean_spread, metric_keys

Groups = list[tuple[str, list[dict]]]


def check_one_task(runs: list[dict]) -> str:
    tasks = sorted({r["task"] for r in runs})
    if len(tasks) > 1:
        listing = ", ".join(f"{r['run_dir']} ({r['task']})" for r in runs)
        raise ValueError(f"cannot compare runs of different tasks ({', '.join(tasks)}): {listing}")
    return tasks[0]


def groups_section(groups: Groups, keys: list[str]) -> Section:
    rows, data = [], {}
    for label, group in groups:
        values = {key: [float(r["metrics"][key]) for r in group] for key in keys}
        rows.append([label, str(len(group)), ",".join(str(r["seed"]) for r in group)]
                    + [mean_spread(key, values[key]) for key in keys])
        data[label] = {"seeds": [r["seed"] for r in group], "runs": [str(r["run_dir"]) for r in group],
                       **{key: {"mean": statistics.fmean(v), "values": v,
                                "std": statistics.stdev(v) if len(v) > 1 else 0.0}
                          for key, v in values.items()}}
    note = Text("Mean ± sample standard deviation over the runs of each group (runs whose configs "
                "differ only in seed); accuracy and F1 in percent.")
    return Section("Mean and spread over seeds", [Table(["group", "runs", "seeds"] + keys, rows), note],
                   key="groups", data=data)


def fmt_value(key: str, value: float) -> str:
    """Parameter counts as integers, seconds to 0.1 s, metrics with 4 decimals."""
    if key == "params":
        return f"{int(value):,}"
    return f"{value:.1f}" if key == "train_seconds" else fmt(float(value))


def runs_section(groups: Groups, keys: list[str]) -> Section:
    rows = [[label, str(r["run_dir"]), str(r["seed"])] + [fmt_value(k, r["metrics"][k]) for k in keys]
            for label, group in groups for r in group]
    return Section("Runs", [Table(["group", "run directory", "seed"] + keys, rows)])


def curves_section(groups: Groups, monitor: str) -> Section:
    """Validation loss and monitored metric per epoch, one line per run, one colour per group."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for g, (label, group) in enumerate(groups):
        for k, run in enumerate(group):
            per_epoch = read_epoch_metrics(Path(run["run_dir"]) / "metrics.csv")
            for ax, key in zip(axes, ("val/loss", monitor), strict=True):
                points = [(e, v[key]) for e, v in per_epoch.items() if key in v]
                if points:
                    ax.plot(*zip(*points, strict=True), color=colours[g % len(colours)], alpha=0.8,
                            marker="o", markersize=3, label=label if k == 0 else None)
    for ax, key in zip(axes, ("val/loss", monitor), strict=True):
        epoch_axis(ax)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return Section("Learning curves", [Figure("learning_curves", figure_png(fig),
                                              f"val/loss and {monitor} per epoch, every run")])


def prediction_sections(groups: Groups, resamples: int = 1000) -> list[Section]:
    """Sections that need each run's test predictions: gradient by distance for every task, then
    the task's own comparison sections."""
    model_class = get_class(groups[0][1][0]["config"]["task"]["_target_"])
    try:
        report = task_report_for(model_class)
    except ValueError as e:
        return [Section("Task sections", [Text(str(e))])]
    contexts = [(label, [collect_test(load_run(run=r["run_dir"]), report) for r in group])
                for label, group in groups]
    sections = [paired_differences_section(contexts, report, resamples), compare_gradients_section(contexts)]
    sections += [build(contexts) for build in report.compare_sections]
    return [s for s in sections if s is not None]


def paired_differences_section(contexts, report, resamples: int = 1000) -> Section | None:
    """Each pair of groups scored on the same test rows: the difference of their mean test
    metrics (first minus second) with a 95 % paired BCa bootstrap interval over the rows, so a
    difference comes with its uncertainty. None for a single group or groups on other rows."""
    rows_of = {label: [np.sort(c.rows) for c in group] for label, group in contexts}
    first_rows = next(iter(rows_of.values()))[0]
    if len(contexts) < 2 or any(len(r) != len(first_rows) or (r != first_rows).any()
                                for runs in rows_of.values() for r in runs):
        return None
    scored = {label: [(report.metrics(c.outputs), np.asarray(c.rows)) for c in group]
              for label, group in contexts}
    names = list(next(iter(scored.values()))[0][0])
    table, data = [], {}
    for (a, runs_a), (b, runs_b) in itertools.combinations(scored.items(), 2):
        for name in names:
            diff, low, high = paired_difference([(m[name], r) for m, r in runs_a],
                                                [(m[name], r) for m, r in runs_b], resamples)
            table.append([f"{a} - {b}", f"test/{name}", fmt(diff), fmt(low), fmt(high)])
            data[f"{a} - {b}"] = {**data.get(f"{a} - {b}", {}), f"test/{name}": [diff, low, high]}
    note = Text(f"Mean over each group's runs, first group minus second, on the {len(first_rows)} test "
                f"rows both groups share; 95 % BCa interval from {resamples} paired resamples of the rows "
                "(one draw of rows scores every run). The interval covers the test rows' sampling "
                "error; the seeds' spread enters through the runs averaged, not through the draw.")
    return Section("Paired differences", [Table(["groups", "metric", "difference", "95% CI low",
                                                 "95% CI high"], table), note], key="paired_differences",
                   data=data)


def compare(run_dirs, out=None, resamples: int = 1000) -> Path:
    """Writes the comparison report of `run_dirs` (one task) and returns the report.html path;
    `resamples` for the paired bootstrap intervals."""
    if not run_dirs:
        raise ValueError("give at least one RUN_DIR to compare")
    runs = load_runs(run_dirs)
    task = check_one_task(runs)
    groups, keys = group_runs(runs), metric_keys(runs)
    monitor = get_class(runs[0]["config"]["task"]["_target_"]).monitor
    sections = [groups_section(groups, keys), runs_section(groups, keys), curves_section(groups, monitor)]
    sections += prediction_sections(groups, resamples)
    out_dir = Path(out) if out else Path("runs") / "compare" / time.strftime("%Y-%m-%d_%H-%M-%S")
    path = write_report(out_dir, f"{task}: {' vs '.join(label for label, _ in groups)}", sections)
    data = {"task": task, **{s.key: s.data for s in sections if s.key}}
    (out_dir / "metrics.json").write_text(json.dumps(data, indent=2, default=float) + "\n")
    return path
