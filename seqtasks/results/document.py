"""Writes docs/results.md from the run directories of the experiments: mean ± std over seeds with
the best and worst run, then each row's provenance (commit, versions against the lock, hardware,
threads, wall time), seed-by-seed comparisons, and the other methods' figures apart."""

from __future__ import annotations

import json
import statistics
from datetime import date
from pathlib import Path

from seqtasks.reports.runs import read_epoch_metrics, read_json
from seqtasks.results.experiments import ADDING_TARGET, REFERENCES, Experiment
from seqtasks.results.runner import RECORD, plan
from seqtasks.runtime.environment import versions_off_lock

HEADER = """# {title}

Generated on {day} by the command below; do not edit, rerun it (`--only NAME` for one row,
`--seeds` for other seeds):

    {command}

Each row is `seqtasks train OVERRIDES seed=S` for the seeds shown; finished runs with the same
overrides, thread count and commit are reused. The versions column compares each run's libraries
with the lock, `seqtasks/constraints.txt`."""


def finished_runs(experiment: Experiment, runs_root: Path, data_root: Path) -> list[dict]:
    """Every finished run in RUNS/<experiment>/ made by the experiment's overrides and threads (any
    seed, so `--seeds 5,6` adds rows' runs), as {name, dir, metrics, info, record}, sorted by name."""
    wanted = {
        json.dumps({"overrides": list(r.overrides[:-1]), "threads": r.key["threads"]})
        for r in plan(experiment, runs_root, data_root)
    }
    found = []
    for run_dir in sorted(p for p in (runs_root / experiment.name).glob("*") if (p / RECORD).is_file()):
        record = json.loads((run_dir / RECORD).read_text())
        key = record.get("key", {})
        made_by = json.dumps({"overrides": key.get("overrides", [])[:-1], "threads": key.get("threads")})
        if made_by in wanted and (run_dir / "metrics.json").is_file():
            info = read_json(run_dir / "run_info.json") if (run_dir / "run_info.json").is_file() else {}
            found.append(
                {
                    "name": run_dir.name,
                    "dir": run_dir,
                    "metrics": read_json(run_dir / "metrics.json"),
                    "info": info,
                    "record": record,
                }
            )
    return found


def fmt(metric: str, value: float) -> str:
    return f"{100 * value:.2f}" if metric.endswith(("acc", "f1_macro")) else f"{value:.4f}"


def result_row(experiment: Experiment, runs: list[dict]) -> list[str]:
    values = [r["metrics"][experiment.metric] for r in runs]
    order = sorted(range(len(runs)), key=lambda i: values[i], reverse=experiment.higher_is_better)
    spread = f" ± {fmt(experiment.metric, statistics.stdev(values))}" if len(values) > 1 else ""
    best, worst = order[0], order[-1]
    train = statistics.fmean(r["metrics"].get("train_seconds", 0.0) for r in runs)
    return [
        experiment.name,
        experiment.data,
        experiment.encoder,
        experiment.metric,
        f"**{fmt(experiment.metric, statistics.fmean(values))}**{spread}",
        str(len(runs)),
        f"{fmt(experiment.metric, values[best])} ({runs[best]['name']})",
        f"{fmt(experiment.metric, values[worst])} ({runs[worst]['name']})",
        f"{train:.0f}",
    ]


def provenance_row(experiment: Experiment, runs: list[dict]) -> list[str]:
    commits = sorted({r["record"].get("commit") or "?" for r in runs})
    off = {
        f"{name} {mine} (lock {locked})"
        for r in runs
        for name, (mine, locked) in versions_off_lock(r["info"].get("versions", {})).items()
    }
    hardware = sorted(
        {
            f"{h.get('cpu', '?')}, {h.get('cpu_count', '?')} cores, GPU {h.get('gpu', '?')}"
            for r in runs
            if (h := r["info"].get("hardware"))
        }
    )
    wall = statistics.fmean(r["record"].get("wall_seconds", 0.0) for r in runs)
    command = runs[0]["record"].get("command", "").rsplit(" seed=", 1)[0]
    return [
        experiment.name,
        f"`{command}`",
        ", ".join(commits),
        "; ".join(sorted(off)) or "lock",
        "; ".join(hardware) or "?",
        str(experiment.threads or "default"),
        f"{wall:.0f}",
    ]


def table(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join(
        lines + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    )


def seed_by_seed(experiment: Experiment, runs: dict[str, list[dict]]) -> str:
    """`experiment` beside `experiment.compare_with`, run by run, with the difference."""
    other = experiment.compare_with
    mine, theirs = (
        {r["name"]: r["metrics"][experiment.metric] for r in runs[n]} for n in (experiment.name, other)
    )
    rows = [
        [
            name,
            fmt(experiment.metric, mine[name]),
            fmt(experiment.metric, theirs[name]),
            fmt(experiment.metric, abs(mine[name] - theirs[name])),
        ]
        for name in mine
        if name in theirs
    ]
    return f"### {experiment.name} beside {other}, run by run\n\n" + table(
        ["run", experiment.name, other, "difference"], rows
    )


def time_to_target(run: dict, target: float = ADDING_TARGET) -> str:
    """'epoch E, S s': the first epoch whose val/mse is under `target` and the training seconds
    by then (train/seconds in metrics.csv); '-' where no epoch got there."""
    for epoch, values in read_epoch_metrics(run["dir"] / "metrics.csv").items():
        if values.get("val/mse", float("inf")) < target:
            seconds = values.get("train/seconds")
            return f"epoch {epoch + 1}" + (f", {seconds:.0f} s" if seconds is not None else "")
    return "-"


def memory_section(experiments: list[Experiment], found: dict[str, list[dict]]) -> str | None:
    """The adding-problem rows run by run: test MSE against the mean-prediction baseline and when
    validation first went under the target, so 'solved' and 'how fast' sit side by side."""
    rows = [
        [
            e.name,
            f"{int(r['metrics'].get('data/seq_len', 0))}",
            e.encoder,
            r["name"],
            fmt(e.metric, r["metrics"][e.metric]),
            fmt(e.metric, r["metrics"].get("data/baseline_mse", float("nan"))),
            "yes" if r["metrics"][e.metric] < ADDING_TARGET else "no",
            time_to_target(r),
            str(len(read_epoch_metrics(r["dir"] / "metrics.csv"))),
            f"{r['metrics'].get('train_seconds', 0.0):.0f}",
        ]
        for e in experiments
        if "task=memory" in e.overrides
        for r in found[e.name]
    ]
    if not rows:
        return None
    columns = ["experiment", "T", "encoder", "run", "test/mse", "baseline", f"solved (< {ADDING_TARGET})",
               f"first val/mse < {ADDING_TARGET}", "epochs", "train s"]
    return "## Adding problem, run by run\n\n" + table(columns, rows)


def results_markdown(
    experiments: list[Experiment],
    runs_root: Path,
    data_root: Path,
    command: str,
    skipped: dict[str, str] | None = None,
    title: str = "Results",
) -> str:
    """docs/results.md for these experiments (all of them, or a page of a few), with the other
    methods' figures on their tasks; experiments with no finished run are listed with why."""
    tasks = {e.task for e in experiments}
    found = {e.name: finished_runs(e, runs_root, data_root) for e in experiments}
    done = [e for e in experiments if found[e.name]]
    parts = [
        HEADER.format(title=title, command=command, day=date.today().isoformat()),
        "## Measured\n\n"
        + table(
            ["experiment", "data", "encoder", "metric", "mean ± std", "n", "best", "worst", "train s (mean)"],
            [result_row(e, found[e.name]) for e in done],
        ),
        "## Provenance\n\n"
        + table(
            [
                "experiment",
                "command (plus seed=S)",
                "commit",
                "versions",
                "hardware",
                "threads",
                "wall s per run",
            ],
            [provenance_row(e, found[e.name]) for e in done],
        ),
    ]
    parts += [seed_by_seed(e, found) for e in done if e.compare_with and found.get(e.compare_with)]
    parts += [section for section in [memory_section(done, found)] if section]
    planned = {e.name: {r.run_dir.name for r in plan(e, runs_root, data_root)} for e in experiments}
    incomplete = [
        [
            e.name,
            f"{len(planned[e.name] & {r['name'] for r in found[e.name]})} of {len(planned[e.name])}",
            (skipped or {}).get(e.name, "not run yet"),
            f"`seqtasks reproduce --only {e.name}`",
        ]
        for e in experiments
        if not planned[e.name] <= {r["name"] for r in found[e.name]}
    ]
    if incomplete:
        parts.append(
            "## Not measured yet\n\n" + table(["experiment", "runs finished", "why", "command"], incomplete)
        )
    parts.append(
        "## Other methods on the same data (not measured by this command)\n\n"
        + table(
            ["data", "method", "metric", "figure", "source"],
            [[r.data, r.method, r.metric, r.value, r.source] for r in REFERENCES if r.task in tasks],
        )
    )
    return "\n\n".join(parts) + "\n"
