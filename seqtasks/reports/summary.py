"""Mean and spread over seeds: runs that differ only in seed are grouped into one table row."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import yaml

from seqtasks.config.compose import flatten
from seqtasks.config.safety import check_plain, check_stored_targets
from seqtasks.reports.runs import read_json


def run_directories(paths, depth: int = 2) -> list[Path]:
    """The run directories (those holding config.yaml) among `paths`; a folder that is not a run
    but holds runs, up to `depth` levels down, stands for them: a sweep's directory, a trial's
    folds (`data.cv_fold=all`). Anything else is kept, for load_runs to refuse by name."""
    found = []
    for path in map(Path, paths):
        runs = []
        if depth and path.is_dir() and not (path / "config.yaml").is_file():
            inside = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
            runs = [r for r in run_directories(inside, depth - 1) if (r / "config.yaml").is_file()]
        found += runs or [path]
    return found


def load_runs(run_dirs) -> list[dict]:
    """Each finished run as a dict (data, encoder, seed, metrics, run_dir, task, setup, config; see
    the dict built below); unfinished runs are refused. A folder of runs stands for its runs."""
    runs = []
    for run_dir in run_directories(run_dirs):
        if not (run_dir / "metrics.json").is_file():
            raise FileNotFoundError(f"{run_dir} has no metrics.json (unfinished or not a run)")
        if not (run_dir / "config.yaml").is_file():
            raise FileNotFoundError(f"{run_dir} has no config.yaml (not a run directory)")
        cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
        try:  # someone else's run directory: data, and only the project's classes (imported later)
            check_plain(cfg, "config.yaml")
            check_stored_targets(cfg, "config.yaml")
        except ValueError as e:
            raise ValueError(f"{run_dir}/{e}") from None
        data = data_label(cfg)
        encoder = model_label(cfg)
        runs.append({"data": data, "encoder": encoder, "seed": cfg["seed"], "run_dir": run_dir,
                     "task": cfg.get("task", {}).get("_target_", "?").rsplit(".", 1)[-1],
                     "setup": _setup_key(cfg), "config": cfg,
                     "metrics": read_json(run_dir / "metrics.json")})
    return runs


def model_label(config: dict) -> str:
    """What makes the predictions: the encoder's name (LSTM, RNN), or the task's own model when it
    uses none: `task.model=linear` is DLinear only in its published form (no instance
    normalization, MSE loss; Zeng et al. 2023), else it says what differs; `repeat_last`."""
    task = config.get("task", {})
    model = task.get("model")
    if model == "linear":
        norm, loss = task.get("instance_norm", "none"), task.get("loss", "mse")
        return "DLinear" if (norm, loss) == ("none", "mse") else f"linear ({norm} norm, {loss} loss)"
    if model and model != "recurrent":
        return model
    return config["encoder"]["_target_"].rsplit(".", 1)[-1].removesuffix("Encoder")


def data_label(config: dict) -> str:
    """A short name of the data a config reads: the builtin, the hub id, the folder or file name,
    a named source (tts_digits), else the datamodule's name (e.g. Adding for generated data); a
    separate test source is added after an arrow (`tts_digits -> recordings`)."""
    data = config.get("data", {})
    test = data.get("test_root") or data.get("test_source")
    test = str(test).rstrip("/").rsplit("/", 1)[-1] if test else None
    label = _source_label(data)
    if test:
        return f"{label} -> {test}" if label else f"test-{test}"
    return label or str(data.get("_target_", "?")).rsplit(".", 1)[-1].removesuffix("DataModule")


def _source_label(data: dict) -> str | None:
    for key in ("builtin", "hub_id", "root", "path"):
        if data.get(key):
            name = str(data[key]).rstrip("/")
            return name if key == "hub_id" else name.rsplit("/", 1)[-1]
    if data.get("files"):
        return "files"
    return data["source"] if data.get("source") not in (None, "folder") else None


def _setup_key(cfg: dict) -> str:
    """The config without what varies between seeds of one setup (seed, output_dir) or does not
    change results (loggers, where the data cache lives, loader workers)."""
    rest = {k: v for k, v in cfg.items() if k not in ("seed", "output_dir", "logger")}
    rest["data"] = {k: v for k, v in cfg.get("data", {}).items()
                    if k not in ("seed", "cache_dir", "num_workers", "cv_fold")}  # folds: one setup
    return json.dumps(_whole_floats_as_ints(rest), sort_keys=True, default=str)


def _whole_floats_as_ints(value):
    """30.0 -> 30 throughout, so `data.trim_db=30` on the command line and `30.0` in a preset are
    one setup."""
    if isinstance(value, dict):
        return {k: _whole_floats_as_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_floats_as_ints(v) for v in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def group_runs(runs: list[dict]) -> list[tuple[str, list[dict]]]:
    """Runs that differ only in seed, as (label, runs) sorted by label; the label is
    "data / model", and setups of the same pair are told apart by the settings in which they
    differ: "trec / LSTM (encoder.hidden_size=16)"."""
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault((run["data"], run["encoder"], run["setup"]), []).append(run)
    setups: dict[tuple, list[str]] = {}
    for data, encoder, setup in groups:
        setups.setdefault((data, encoder), []).append(setup)
    labelled = []
    for (data, encoder, setup), group in sorted(groups.items()):
        tag = _difference(setup, setups[data, encoder])
        labelled.append((f"{data} / {encoder}{tag}", sorted(group, key=lambda r: r["seed"])))
    return labelled


def _difference(setup: str, alike: list[str]) -> str:
    """" (key=value, ...)" of the settings in which `setup` differs from the others of `alike`."""
    if len(alike) < 2:
        return ""
    flat = [flatten(json.loads(s)) for s in alike]
    mine = flatten(json.loads(setup))
    keys = sorted(k for k in set().union(*flat) if len({json.dumps(f.get(k)) for f in flat}) > 1)
    shown = [f"{k}={mine.get(k)}" for k in keys[:3]] + (["..."] if len(keys) > 3 else [])
    return f" ({', '.join(shown)})"


def metric_keys(runs: list[dict]) -> list[str]:
    """Each task's own test metrics that every run has (test/acc for classifiers, test/mse for
    forecasting, ...), then training time and size."""
    common = set.intersection(*(set(r["metrics"]) for r in runs))
    return sorted(k for k in common if k.startswith(("test/", "cv/"))) + [
        k for k in ("train_seconds", "params") if k in common]


def mean_spread(key: str, values: list[float]) -> str:
    """Mean ± sample standard deviation (the value alone for one run); accuracy-like metrics in
    percent."""
    scale = 100.0 if key.endswith(("acc", "f1_macro")) else 1.0
    mean = statistics.fmean(values) * scale
    spread = statistics.stdev(values) * scale if len(values) > 1 else 0.0
    digits = 1 if scale == 100.0 or abs(mean) >= 10 or key == "train_seconds" else 4
    if scale == 1.0 and all(float(v).is_integer() for v in values):
        digits = 0  # counts, e.g. params
    return f"{mean:.{digits}f} ± {spread:.{digits}f}" if len(values) > 1 else f"{mean:.{digits}f}"


def summary_table(runs: list[dict], keys=None) -> str:
    """Markdown: one row per setup (runs that differ only in seed), each metric (by default the
    task's test metrics and train_seconds) as mean ± standard deviation."""
    keys = keys or [k for k in metric_keys(runs) if k != "params"]
    lines = ["| data | encoder | seeds | " + " | ".join(keys) + " |",
             "|---|---|---|" + "---|" * len(keys)]
    for label, group in group_runs(runs):
        data, encoder = label.split(" / ", 1)
        cells = [mean_spread(key, [r["metrics"][key] for r in group]) for key in keys]
        seeds = ",".join(str(seed) for seed in dict.fromkeys(r["seed"] for r in group))
        folds = {r["config"]["data"].get("cv_fold") for r in group if r["config"]["data"].get("cv_folds")}
        seeds += f" ({len(folds)} folds)" if folds else ""
        lines.append(f"| {data} | {encoder} | {seeds} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speaker_table(runs: list[dict], key: str = "test/acc") -> str:
    """Markdown for speaker-independent runs (`data.test_speakers`), e.g. leave one speaker out:
    one row per setup with `key` (percent) on each held-out speaker (mean over seeds), then the
    mean and the worst speaker. Runs without test speakers are left out; empty if none has any."""
    folds = []  # runs whose setup leaves out the held-out speakers, so group_runs joins the folds
    for run in runs:
        speakers = run["config"].get("data", {}).get("test_speakers")
        if speakers:
            setup = json.loads(run["setup"])
            setup["data"].pop("test_speakers")
            folds.append({**run, "setup": json.dumps(setup, sort_keys=True), "speaker": "+".join(speakers)})
    if not folds:
        return ""
    names = sorted({run["speaker"] for run in folds})
    lines = ["| data | encoder | " + " | ".join(names) + " | mean | worst |",
             "|---|---|" + "---|" * (len(names) + 2)]
    for label, group in group_runs(folds):
        by_speaker = {name: statistics.fmean(r["metrics"][key] * 100 for r in group if r["speaker"] == name)
                      for name in sorted({r["speaker"] for r in group})}
        cells = [f"{by_speaker[n]:.1f}" if n in by_speaker else "-" for n in names]
        summary = [statistics.fmean(by_speaker.values()), min(by_speaker.values())]
        lines.append(f"| {label.replace(' / ', ' | ', 1)} | " + " | ".join(cells) + " | "
                     + " | ".join(f"{v:.1f}" for v in summary) + " |")
    return "\n".join(lines)
