"""Runs the experiments: one `python -m seqtasks train` process per seed and variant, in
RUNS/<experiment>/<run>/, reusing a finished run made by the same overrides, thread count and
commit, continuing an interrupted one, and replacing one made otherwise."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seqtasks.results.experiments import DATA, Experiment
from seqtasks.runtime.environment import git_commit

RECORD = "reproduce.json"  # beside each run: what made it (the reuse key) and its wall time


@dataclass(frozen=True)
class PlannedRun:
    experiment: Experiment
    run_dir: Path
    overrides: tuple[str, ...]  # with the data root filled in, seed last

    @property
    def key(self) -> dict:
        return {"overrides": list(self.overrides), "threads": self.experiment.threads}


def plan(
    experiment: Experiment, runs_root: Path, data_root: Path, seeds: list[int] | None = None
) -> list[PlannedRun]:
    """The runs of `experiment` (its seeds, or `seeds`) × its variants."""
    base = [o.replace(DATA, str(data_root)) for o in experiment.overrides]
    variants = experiment.variants or {"": None}
    return [
        PlannedRun(
            experiment,
            runs_root / experiment.name / (f"{name}_seed{seed}" if name else f"seed{seed}"),
            (*base, *([extra] if extra else []), f"seed={seed}"),
        )
        for name, extra in variants.items()
        for seed in (seeds if seeds is not None else experiment.seeds)
    ]


def missing_data(experiment: Experiment, data_root: Path) -> str | None:
    """The first file or folder the experiment reads from the data root that is not there."""
    for override in experiment.overrides:
        if DATA in override:
            path = Path(override.split("=", 1)[1].replace(DATA, str(data_root)))
            if not path.exists():
                return str(path)
    return None


def state(run: PlannedRun, commit: str) -> str:
    """'done' (reuse), 'resume' (same key, interrupted), 'stale' (made otherwise) or 'new'."""
    record_path = run.run_dir / RECORD
    if not run.run_dir.exists():
        return "new"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {}
    same = record.get("key") == run.key and record.get("commit") == commit and not commit.endswith("+dirty")
    if not same:
        return "stale"
    if (run.run_dir / "metrics.json").is_file():
        return "done"
    checkpoints = run.run_dir / "checkpoints"
    has_checkpoint = any((checkpoints / n).is_file() for n in ("interrupted.ckpt", "last.ckpt"))
    return "resume" if has_checkpoint else "stale"


def execute(run: PlannedRun, commit: str, resume: bool) -> float:
    """Trains one run in a child process (its output in RUN/reproduce.log); returns the wall time.
    A failed run raises with the log's last line."""
    run.run_dir.mkdir(parents=True, exist_ok=True)
    record = {"key": run.key, "commit": commit, "command": f"seqtasks train {' '.join(run.overrides)}"}
    earlier = json.loads((run.run_dir / RECORD).read_text()) if resume else {}
    (run.run_dir / RECORD).write_text(json.dumps(record, indent=2) + "\n")
    env = dict(os.environ)
    if run.experiment.threads is not None:
        env["OMP_NUM_THREADS"] = str(run.experiment.threads)
    command = [sys.executable, "-m", "seqtasks", "train", *run.overrides, f"output_dir={run.run_dir}"]
    started = time.perf_counter()
    with open(run.run_dir / "reproduce.log", "a") as log:
        code = subprocess.call(
            command + (["resume=true"] if resume else []), env=env, stdout=log, stderr=subprocess.STDOUT
        )
    wall = time.perf_counter() - started + earlier.get("wall_seconds", 0.0)
    if code != 0:
        lines = (run.run_dir / "reproduce.log").read_text().strip().splitlines() or ["(no output)"]
        raise RuntimeError(f"{run.run_dir}: seqtasks train exited with {code}: {lines[-1]}")
    (run.run_dir / RECORD).write_text(json.dumps(record | {"wall_seconds": round(wall, 1)}, indent=2) + "\n")
    return wall


def reproduce(
    experiments: list[Experiment],
    runs_root: Path,
    data_root: Path,
    seeds: list[int] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Runs what is not already there; returns {experiment: why it was skipped} for those whose
    data is missing (the others raise on a failed run)."""
    commit = git_commit()
    if not commit or commit.endswith("+dirty"):
        log(
            f"note: seqtasks is {'not a git checkout' if not commit else 'modified'} ({commit or '-'}): "
            "these runs will not be reused by a later reproduce"
        )
    skipped = {}
    for experiment in experiments:
        absent = missing_data(experiment, data_root)
        if absent:
            skipped[experiment.name] = f"{absent} not found"
            log(f"{experiment.name}: skipped, {absent} not found (see docs/data.md)")
            continue
        for run in plan(experiment, runs_root, data_root, seeds):
            status = state(run, commit)
            if status == "done":
                log(f"{run.run_dir}: reused (same overrides, threads and commit)")
                continue
            if status == "stale":
                log(f"{run.run_dir}: made otherwise or unfinished; replacing it")
                shutil.rmtree(run.run_dir)
            elif status == "resume":
                log(f"{run.run_dir}: continuing the interrupted run")
            log(f"{run.run_dir}: seqtasks train {' '.join(run.overrides)}")
            wall = execute(run, commit, resume=status == "resume")
            log(f"{run.run_dir}: done in {wall:.0f} s")
    return skipped
