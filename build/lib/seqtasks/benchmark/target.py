"""Time to target: wall time from a training command's start until its validation metric (and,
for classifiers, the held-out test accuracy) first reaches the task's target."""

from __future__ import annotations

import time

import torch
from pytorch_lightning.callbacks import Callback
from torchmetrics.functional.classification import multiclass_accuracy

from seqtasks.config.compose import load_config
from seqtasks.training.train import train


@torch.no_grad()
def test_accuracy(model, loader) -> float:
    """Accuracy of a classifier over a loader of (x, lengths, y) batches, in eval mode."""
    was_training, preds, labels = model.training, [], []
    model.eval()
    for x, lengths, y in loader:
        preds.append(model(x.to(model.device), lengths).argmax(-1).cpu())
        labels.append(y)
    model.train(was_training)
    return float(multiclass_accuracy(torch.cat(preds), torch.cat(labels), model.hparams.num_classes,
                                     average="micro"))


class StopAtTarget(Callback):
    """After each validation: notes the wall time (from `started`, a `time.time()`) when `metric`
    first reaches `target`; with `check_test`, also scores the test split and notes when its
    accuracy first reaches `target` (the time spent scoring it is not counted). Stops training
    once every watched figure has reached the target."""

    def __init__(self, metric: str, target: float, mode: str, started: float, check_test: bool = False):
        self.metric, self.target, self.mode, self.started = metric, target, mode, started
        self.check_test, self.not_counted = check_test, 0.0
        self.seconds = self.epoch = self.best = None
        self.test_seconds = self.test_epoch = self.best_test = None

    def _reached(self, value: float) -> bool:
        return value >= self.target if self.mode == "max" else value <= self.target

    def on_validation_end(self, trainer, pl_module) -> None:
        fitting = trainer.state.fn == "fit"  # not train()'s re-validation of the best checkpoint
        if trainer.sanity_checking or not fitting or self.metric not in trainer.callback_metrics:
            return
        now = time.time() - self.started - self.not_counted
        value = float(trainer.callback_metrics[self.metric])
        self.best = value if self.best is None else (max if self.mode == "max" else min)(self.best, value)
        if self._reached(value) and self.seconds is None:
            self.seconds, self.epoch = now, trainer.current_epoch
        if self.check_test:
            start = time.time()
            acc = test_accuracy(pl_module, trainer.datamodule.test_dataloader())
            self.not_counted += time.time() - start
            self.best_test = max(self.best_test or 0.0, acc)
            if acc >= self.target and self.test_seconds is None:
                self.test_seconds, self.test_epoch = now, trainer.current_epoch
        if self.seconds is not None and (not self.check_test or self.test_seconds is not None):
            trainer.should_stop = True


def time_to_target(overrides: list[str], metric: str, target: float, mode: str, started: float,
                   run_dir: str, check_test: bool = False) -> dict:
    """Trains `overrides` (on the CPU) until the target is reached or the epochs run out."""
    stop = StopAtTarget(metric, target, mode, started, check_test)
    cfg = load_config(["trainer=cpu", f"output_dir={run_dir}", "trainer.enable_progress_bar=false",
                       *overrides])
    metrics = train(cfg, command="scripts/benchmark.py", callbacks=[stop])
    result = {"seconds": _round(stop.seconds), "epoch": stop.epoch, "metric": metric, "target": target,
              f"best_{metric}": stop.best, "prep_seconds": metrics.get("data/prep_seconds"),
              "max_epochs": cfg.trainer.max_epochs}
    if check_test:
        result.update(test_acc_seconds=_round(stop.test_seconds), test_acc_epoch=stop.test_epoch,
                      best_test_acc=stop.best_test)
    return result


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)
