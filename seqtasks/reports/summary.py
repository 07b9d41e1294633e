"""Mean and spread over seeds: runs that differ only in seed are grouped into one table row."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import yaml


def load_runs(run_dirs) -> list[dict]:
    """Each finished run as {"data", "encoder", "seed", "metrics"}; unfinished runs are refused."""
    runs = []
    for run_dir in map(Path, run_dirs):
        if not (run_dir / "metrics.json").is_file():
            raise FileNotFoundError(f"{run_dir} has no metrics.json (unfinished or not a run)")
        cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
        data = cfg["data"].get("builtin") or Path(str(cfg["data"].get("root"))).name
        encoder = cfg["encoder"]["_target_"].rsplit(".", 1)[-1].removesuffix("Encoder")
        runs.append({"data": data, "encoder": encoder, "seed": cfg["seed"],
                     "setup": _setup_key(cfg),
                     "metrics": json.loads((run_dir / "metrics.json").read_text())})
    return runs


def _setup_key(cfg: dict) -> str:
    """The config without what varies between seeds of one setup (seed, output_dir) or does not
    change results (logger)."""
    rest = {k: v for k, v in cfg.items() if k not in ("seed", "output_dir", "logger")}
    rest["data"] = {k: v for k, v in cfg.get("data", {}).items() if k != "seed"}
    return json.dumps(rest, sort_keys=True, default=str)


def summary_table(runs: list[dict], keys=("test/acc", "test/f1_macro", "train_seconds")) -> str:
    """Markdown: one row per setup (runs that differ only in seed), each metric as
    mean ± standard deviation; setups with the same data and encoder get a numbered tag."""
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault((run["data"], run["encoder"], run["setup"]), []).append(run)
    lines = ["| data | encoder | seeds | " + " | ".join(keys) + " |",
             "|---|---|---|" + "---|" * len(keys)]
    seen: dict[tuple, int] = {}
    for (data, encoder, _), group in sorted(groups.items()):
        seen[data, encoder] = seen.get((data, encoder), 0) + 1
        if seen[data, encoder] > 1:  # another setup of the same pair: say it is a different one
            encoder = f"{encoder} (setup {seen[data, encoder]})"
        cells = []
        for key in keys:
            values = [r["metrics"][key] for r in group]
            scale = 100.0 if key.endswith(("acc", "f1_macro")) else 1.0
            mean = statistics.fmean(values) * scale
            spread = statistics.stdev(values) * scale if len(values) > 1 else 0.0
            cells.append(f"{mean:.1f} ± {spread:.1f}")
        seeds = ",".join(str(r["seed"]) for r in sorted(group, key=lambda r: r["seed"]))
        lines.append(f"| {data} | {encoder} | {seeds} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
