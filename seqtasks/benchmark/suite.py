"""The benchmark suite: each section measured in fresh processes, gathered into one result dict
whose keys follow the issue's contract (overhead_ratio, padding_fraction_bucketed.<dataset>, ...)."""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import torch

from seqtasks.benchmark import SECTIONS
from seqtasks.benchmark.common import SHARED_DATA, real_datasets
from seqtasks.benchmark.isolate import isolated
from seqtasks.benchmark.pipeline import (
    bbc_rows,
    data_wait,
    padding_fractions,
    text_preparation,
    write_replicated_csvs,
)
from seqtasks.benchmark.target import time_to_target
from seqtasks.benchmark.throughput import encoder_family_speed, encoder_speed, framework_overhead

GROWTH_FACTORS = (1, 10, 100)


def targets(datasets: dict[str, list[str]], shared: Path) -> dict[str, tuple[list[str], str, float, str]]:
    """task -> (train.py overrides, metric, target, mode), for the datasets the machine holds."""
    found = {}
    if "fsdd" in datasets:
        found["digits"] = (datasets["fsdd"], "val/acc", 0.98, "max")
    if "trec" in datasets:
        found["text"] = (datasets["trec"], "val/acc", 0.90, "max")
    if (shared / "timeseries" / "ETTh1.csv").is_file():
        found["forecast"] = (["task=forecast", "data=etth1", f"data.path={shared}/timeseries/ETTh1.csv"],
                             "val/mse", 0.70, "min")
    return found


def machine() -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    return {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
            "python": platform.python_version(), "processor": platform.processor() or platform.machine(),
            "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None, "commit": commit}


def run_suite(quick: bool = False, sections=SECTIONS, shared: Path = SHARED_DATA, log=print) -> dict:
    """Runs the chosen sections and returns the result dict (see module docstring)."""
    result: dict = {"quick": quick, "machine": machine(), "peak_rss_mb": {}, "details": {}}
    datasets = real_datasets(shared)
    with tempfile.TemporaryDirectory(prefix="seqtasks-bench-") as tmp:
        tmp = Path(tmp)
        for section in sections:
            start = time.perf_counter()
            log(f"benchmark: {section} ...")
            details = SECTION_RUNNERS[section](result, quick, datasets, shared, tmp)
            result["details"][section] = details
            result["peak_rss_mb"][section] = max(_peaks(details), default=None)
            log(f"benchmark: {section} done in {time.perf_counter() - start:.0f} s")
    return result


def _overhead(result, quick, datasets, shared, tmp):
    name = "trec" if "trec" in datasets else "bbc_news"
    overrides = [*datasets[name], "task.embedding_init=random"]
    details = isolated(framework_overhead, overrides, warmup=10 if quick else 30,
                       steps=40 if quick else 300, repeats=1 if quick else 3)
    result["overhead_ratio"] = details["overhead_ratio"]
    return details | {"dataset": name}


def _encoders(result, quick, datasets, shared, tmp):
    shapes = [(32, 50)] if quick else [(32, 50), (32, 200), (128, 50), (128, 200)]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    runs = {device: isolated(_as_dict, encoder_speed, shapes, repeats=2 if quick else 5, device=device)
            for device in devices}
    return {"rows": [row for run in runs.values() for row in run["rows"]],
            "peak_rss_mb": max(run["peak_rss_mb"] for run in runs.values())}


def _encoder_family(result, quick, datasets, shared, tmp):
    lengths = (100,) if quick else (100, 500, 2000)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    runs = {device: isolated(_as_dict, encoder_family_speed, lengths, repeats=1 if quick else 3,
                             device=device) for device in devices}
    return {"rows": [row for run in runs.values() for row in run["rows"]],
            "peak_rss_mb": max(run["peak_rss_mb"] for run in runs.values())}


def _as_dict(fn, *args, **kwargs) -> dict:
    return {"rows": fn(*args, **kwargs)}


def _padding(result, quick, datasets, shared, tmp):
    details = {name: isolated(padding_fractions, overrides) for name, overrides in datasets.items()}
    for key in ("padding_fraction_bucketed", "padding_fraction_unbucketed"):
        result[key] = {name: d[key] for name, d in details.items()}
    return details


def _data_wait(result, quick, datasets, shared, tmp):
    env = {"SEQTASKS_CACHE": str(tmp / "cache-wait")}  # empty at first: the cold run builds it
    overrides = ["task=text"] + (["data.max_length=64"] if quick else [])
    details = {run: isolated(data_wait, overrides, env=env) for run in ("cold", "warm")}
    for run, d in details.items():
        result[f"data_wait_fraction_{run}"] = d["data_wait_fraction"]
    return details


def _growth(result, quick, datasets, shared, tmp):
    rows, details = bbc_rows(100 if quick else None), {}
    for factor in GROWTH_FACTORS:
        root = tmp / f"growth-{factor}x"
        sizes = write_replicated_csvs(root, rows, factor)
        details[str(factor)] = sizes | isolated(text_preparation, str(root), str(tmp / f"cache-{factor}x"))
    result["growth"] = {"rss_mb": {f: d["peak_rss_mb"] for f, d in details.items()},
                        "anon_mb": {f: d["peak_anon_mb"] for f, d in details.items()},
                        "prep_seconds": {f: d["prep_seconds"] for f, d in details.items()}}
    return details


def _target(result, quick, datasets, shared, tmp):
    details = {}
    for task, (overrides, metric, target, mode) in targets(datasets, shared).items():
        if quick:
            overrides = [*overrides, "trainer.max_epochs=1"]
        details[task] = isolated(time_to_target, overrides, metric, target, mode, time.time(),
                                 str(tmp / f"target-{task}"), check_test=metric == "val/acc")
    result["time_to_target_seconds"] = {task: d["seconds"] for task, d in details.items()}
    result["time_to_target_test_seconds"] = {task: d.get("test_acc_seconds") for task, d in details.items()}
    return details


SECTION_RUNNERS = {"overhead": _overhead, "encoders": _encoders, "encoder_family": _encoder_family,
                   "padding": _padding,
                   "data_wait": _data_wait, "growth": _growth, "target": _target}


def _peaks(details) -> list[float]:
    """Every peak_rss_mb inside a section's details."""
    if isinstance(details, dict):
        own = [details["peak_rss_mb"]] if "peak_rss_mb" in details else []
        return own + [p for v in details.values() for p in _peaks(v)]
    if isinstance(details, list):
        return [p for v in details for p in _peaks(v)]
    return []
