"""Report sections every task gets: the header (what made the run, where), learning curves from
metrics.csv, and the test metrics with bootstrap confidence intervals."""

from __future__ import annotations

import numpy as np
import yaml

from seqtasks.reports.bootstrap import bootstrap_ci
from seqtasks.reports.document import Code, Figure, Section, Table, Text, epoch_axis, figure_png, plt
from seqtasks.reports.registry import EvalContext, TaskReport
from seqtasks.reports.runs import LoadedRun, read_epoch_metrics
from seqtasks.runtime.environment import hardware, library_versions, locked_versions, versions_off_lock


def fmt(value: float) -> str:
    """The one number format of tables: 4 decimals (reports compare these strings to JSON)."""
    return f"{value:.4f}"


def encoder_label(config: dict) -> str:
    enc = config.get("encoder", {})
    kind = str(enc.get("_target_", "?")).rsplit(".", 1)[-1].removesuffix("Encoder")
    parts = [kind, f"hidden {enc.get('hidden_size')}", f"{enc.get('num_layers', 1)} layer(s)",
             "bidirectional" if enc.get("bidirectional") else "one direction", f"impl {enc.get('impl')}"]
    return ", ".join(parts)


def data_source(data: dict) -> str:
    """Where the data comes from (builtin, root, hub_id, files, path), or, for generated data, the
    settings that make it."""
    keys = [k for k in ("builtin", "root", "hub_id", "files", "path") if data.get(k)] or [
        k for k, v in data.items() if k not in ("_target_", "batch_size", "num_workers")
        and not isinstance(v, dict | list)]
    kind = str(data.get("_target_", "")).rsplit(".", 1)[-1]
    return f"{kind}: " + ", ".join(f"{k}={data[k]}" for k in keys)


def _hardware_label(hw: dict) -> str:
    cpu = f"{hw.get('cpu', '?')} ({hw.get('cpu_count', '?')} cores)"
    return f"{cpu}, GPU: {hw.get('gpu', '?')}, {hw.get('os', '')}"


def header_section(run: LoadedRun, n_test: int) -> Section:
    """Task, data, encoder, size, time, hardware, command and versions."""
    metrics, info, data = run.metrics, run.info, run.config.get("data", {})
    source = data_source(data)
    overrides = ", ".join(f"{k}={v}" for k, v in run.data_overrides.items())
    params = metrics.get("params") or sum(p.numel() for p in run.model.parameters())
    rows = [["run directory", str(run.run_dir or "-")],
            ["checkpoint", f"{run.ckpt_path} (epoch {run.ckpt_epoch})"],
            ["task", run.task_name],
            ["data", source + (f"; evaluated with {overrides}" if overrides else "")],
            ["test examples", str(n_test)], ["encoder", encoder_label(run.config)],
            ["parameters", f"{int(params):,}"],
            ["training time", f"{metrics['train_seconds']:.1f} s" if "train_seconds" in metrics else "-"],
            ["best epoch", str(metrics.get("best_epoch", run.ckpt_epoch))],
            ["trained on", _hardware_label(info["hardware"]) if "hardware" in info else "not recorded"],
            ["evaluated on", _hardware_label(hardware())],
            ["seqtasks commit", info.get("git_commit") or "not recorded"]]
    return Section("Run", [
        Table(["item", "value"], rows),
        Text("Command that made the run:"),
        Code(info.get("command", "not recorded (trained before run_info.json existed)"), "bash"),
        *versions_blocks(info.get("versions", {})),
        Text("The resolved configuration is the last section.")])


def versions_blocks(trained: dict[str, str]) -> list:
    """The versions at training, at evaluation and in the lock, with a warning line first when the
    run was trained with versions other than the lock's (its figures may not match docs/results.md)."""
    now, lock = library_versions(), locked_versions()
    rows = [[name, trained.get(name, "not recorded"), now[name], lock.get(name, "-")] for name in now]
    off = versions_off_lock(trained)
    blocks = [Table(["library", "at training", "at evaluation", "lock"], rows, caption="Versions")]
    if off:
        listed = ", ".join(f"{name} {mine} (lock {locked})" for name, (mine, locked) in off.items())
        blocks.insert(0, Text(f"Warning: trained with versions other than the lock "
                              f"(seqtasks/constraints.txt): {listed}."))
    return blocks


def config_section(run: LoadedRun) -> Section:
    """The resolved training config (as stored in the checkpoint), at the end: it is long."""
    return Section("Configuration", [Text("Resolved configuration of the run (config.yaml):"),
                                     Code(yaml.safe_dump(run.config, sort_keys=False), "yaml")])


def learning_curves_section(run: LoadedRun, name: str = "learning_curves") -> Section:
    """Train/val loss and the monitored metric per epoch, from metrics.csv."""
    per_epoch = read_epoch_metrics(run.run_dir / "metrics.csv") if run.run_dir else {}
    if not per_epoch:
        return Section("Learning curves", [Text("No metrics.csv beside the checkpoint: no curves.")])
    main = run.model.monitor.split("/", 1)[1]
    columns = [c for c in ("train/loss", "val/loss", f"train/{main}", f"val/{main}")
               if any(c in v for v in per_epoch.values())]
    rows = [[str(e)] + [fmt(v[c]) if c in v else "" for c in columns] for e, v in per_epoch.items()]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for ax, group in zip(axes, (("train/loss", "val/loss"), (f"train/{main}", f"val/{main}")), strict=True):
        for col in (c for c in group if c in columns):
            points = [(e, v[col]) for e, v in per_epoch.items() if col in v]
            ax.plot(*zip(*points, strict=True), marker="o", label=col)
        epoch_axis(ax)
        ax.set_ylabel(group[0].split("/", 1)[1])
        ax.grid(alpha=0.3)
        ax.legend()
    return Section("Learning curves", [
        Figure(name, figure_png(fig), f"loss and {main} per epoch (metrics.csv)"),
        Table(["epoch"] + columns, rows, caption="Per-epoch metrics")])


def test_metrics_section(ctx: EvalContext, report: TaskReport, resamples: int = 1000) -> Section:
    """Each test metric over all rows, its 95 % bootstrap interval, and the value training wrote."""
    n = len(ctx.rows)
    everything = np.arange(n)
    rows, data = [], {"n": n, "bootstrap_resamples": resamples}
    compare_to_run = not ctx.run.data_overrides
    for name, metric in report.metrics(ctx.outputs).items():
        key = f"{ctx.split}/{name}"
        value = float(metric(everything))
        low, high = bootstrap_ci(metric, n, resamples)
        data[key], data[f"{key}_ci95"] = value, [low, high]
        trained = ctx.run.metrics.get(key) if compare_to_run else None
        rows.append([key, fmt(value), fmt(low), fmt(high), fmt(trained) if trained is not None else "-"])
    overlap = (" It takes rows as independent: these forecast windows overlap, so the interval is "
               "too narrow." if report.overlapping_rows else "")
    note = (f"{n} test examples; 95 % BCa bootstrap (scipy) over {resamples} resamples of the test "
            f"rows (seed 0).{overlap} The last column is what training wrote to metrics.json.")
    return Section("Test metrics", [Table(["metric", "value", "95% CI low", "95% CI high", "metrics.json"],
                                          rows), Text(note)], data=data)
