"""Callbacks a run adds to the Trainer beside Lightning's checkpoints: the config inside every
checkpoint, the user's `callbacks` group, and one readable progress line per epoch where no
progress bar is shown."""

from __future__ import annotations

import logging
import time

from hydra.utils import get_object, instantiate
from omegaconf import DictConfig
from pytorch_lightning.callbacks import Callback, EarlyStopping

from seqtasks.config.safety import CHECKPOINT_FORMAT
from seqtasks.version import __version__

log = logging.getLogger(__name__)


class ConfigInCheckpoint(Callback):
    """Stores the resolved config (plain types), the seqtasks version and the seconds trained so far
    (over every resumed part) in every checkpoint, so a checkpoint alone says how to rebuild its
    model and data, and a resumed run's train_seconds counts the whole run. The same count goes to
    the loggers at each epoch's end as `train/seconds`, so metrics.csv says when a target was met."""

    def __init__(self, config: dict, seconds_before: float = 0.0):
        self.config, self.seconds_before, self.started = config, seconds_before, time.perf_counter()

    def on_fit_start(self, trainer, pl_module) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return self.seconds_before + time.perf_counter() - self.started

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        pl_module.log("train/seconds", self.seconds(), on_epoch=True)

    def on_save_checkpoint(self, trainer, pl_module, checkpoint) -> None:
        checkpoint.update(seqtasks_config=self.config, seqtasks_version=__version__,
                          seqtasks_format=CHECKPOINT_FORMAT, seqtasks_train_seconds=self.seconds())


def configured_callbacks(cfg: DictConfig, task_class) -> list[Callback]:
    """The callbacks of `callbacks=[early_stopping,lr_monitor,...]` (any class the user's config
    names); early stopping watches the task's own monitored metric unless the config says another."""
    built = []
    for conf in (cfg.get("callbacks") or {}).values():
        given = {}
        if issubclass(get_object(conf._target_), EarlyStopping) and "monitor" not in conf:
            given = {"monitor": task_class.monitor, "mode": task_class.monitor_mode}
        built.append(instantiate(conf, **given))
    return built


class EpochLine(Callback):
    """Where no progress bar is shown (no terminal: nohup, SLURM, CI), one log line per epoch:
    `epoch 3/10: train/loss 0.412, val/acc 0.951 (best 0.960), 12.3 s, ~1.4 min left`."""

    def __init__(self, monitor: str, mode: str):
        self.monitor, self.mode = monitor, mode
        self.started = self.best = None
        self.seconds: list[float] = []

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.started = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if trainer.progress_bar_callback is not None or not trainer.is_global_zero or self.started is None:
            return
        self.seconds.append(time.perf_counter() - self.started)
        metrics = trainer.callback_metrics
        parts = [f"{name} {float(metrics[name]):.4g}" for name in ("train/loss", "val/loss")
                 if name in metrics and name != self.monitor]
        if self.monitor in metrics:
            value = float(metrics[self.monitor])
            better = max if self.mode == "max" else min
            self.best = value if self.best is None else better(self.best, value)
            parts.append(f"{self.monitor} {value:.4g} (best {self.best:.4g})")
        epoch, total = trainer.current_epoch + 1, trainer.max_epochs
        left = (total - epoch) * sum(self.seconds) / len(self.seconds) if total and total > 0 else None
        eta = f", ~{_duration(left)} left" if left else ""
        log.info("epoch %d/%s: %s, %.1f s%s", epoch, total if total and total > 0 else "?",
                 ", ".join(parts), self.seconds[-1], eta)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
