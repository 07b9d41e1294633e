"""Time to target: wall time from a training command's start until its validation metric first
reaches the task's target."""

from __future__ import annotations

import time

from pytorch_lightning.callbacks import Callback

from seqtasks.config import load_config
from seqtasks.train import train


class StopAtTarget(Callback):
    """Notes the wall time (from `started`, a `time.time()`) when `metric` first reaches `target`
    after a validation, then stops training."""

    def __init__(self, metric: str, target: float, mode: str, started: float):
        self.metric, self.target, self.mode, self.started = metric, target, mode, started
        self.seconds, self.epoch, self.best = None, None, None

    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.sanity_checking or self.metric not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics[self.metric])
        better = max if self.mode == "max" else min
        self.best = value if self.best is None else better(self.best, value)
        reached = value >= self.target if self.mode == "max" else value <= self.target
        if reached and self.seconds is None:
            self.seconds, self.epoch = time.time() - self.started, trainer.current_epoch
            trainer.should_stop = True


def time_to_target(overrides: list[str], metric: str, target: float, mode: str, started: float,
                   run_dir: str) -> dict:
    """Trains `overrides` (on the CPU) until `metric` reaches `target` or the epochs run out."""
    stop = StopAtTarget(metric, target, mode, started)
    cfg = load_config(["trainer=cpu", f"output_dir={run_dir}", "trainer.enable_progress_bar=false",
                       *overrides])
    metrics = train(cfg, command="scripts/benchmark.py", callbacks=[stop])
    return {"seconds": None if stop.seconds is None else round(stop.seconds, 1), "epoch": stop.epoch,
            "metric": metric, "target": target, f"best_{metric}": stop.best,
            "prep_seconds": metrics.get("data/prep_seconds"), "run_dir": run_dir}
