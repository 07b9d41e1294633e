"""`train(cfg) -> metrics`: check the config, then Trainer, data and model from it, fit (or resume),
test with the best checkpoint, and write the run directory (config.yaml, run_info.json,
checkpoints/, metrics.csv, metrics.json) from global rank 0."""

from __future__ import annotations

import json
import logging
import math
import os
import time
import warnings
from pathlib import Path

import datasets
import pytorch_lightning as pl
from hydra.utils import get_object, instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import (
    EMAWeightAveraging,
    ModelCheckpoint,
    ModelSummary,
    ProgressBar,
    WeightAveraging,
)
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.utilities.exceptions import SIGTERMException

from seqtasks.config.checks import check_config
from seqtasks.config.safety import load_checkpoint, read_seqtasks_checkpoint
from seqtasks.data.batching import SamplerPosition
from seqtasks.data.hooks import CrossValidated, SavesArtifacts
from seqtasks.runtime.devices import supported_precision
from seqtasks.runtime.environment import progress_bar_wanted, run_info
from seqtasks.training.callbacks import ConfigInCheckpoint, EpochLine, configured_callbacks
from seqtasks.training.resume import (
    BatchSeeds,
    InterruptCheckpoint,
    RelocatableCheckpoint,
    TrainingInterrupted,
    check_fresh_start,
    earlier_rows,
    prepend_rows,
    resume_checkpoint,
)
from seqtasks.training.tracking import build_loggers, final_figures_to_trackers, hyperparameters_to_trackers

log = logging.getLogger(__name__)


def write_atomic(path: Path, text: str) -> None:
    """Writes to a temporary file, then renames: readers never see a truncated file."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


def build_trainer(cfg: DictConfig, run_dir: Path, resolved: dict, callbacks,
                  seconds_before: float = 0.0) -> pl.Trainer:
    """The Trainer of `cfg.trainer` with the run's callbacks: best/last checkpoints, the checkpoint
    on interruption, the config in every checkpoint and per-batch seeds, and with `ema_decay` an
    exponential moving average of the weights that validation, checkpoints and the test use.
    Datamodules share out their own batches among DDP processes (`epoch_loader`), so Lightning's
    sampler stays out."""
    task_class = get_object(cfg.task._target_)
    # best.ckpt: the best validation so far; last.ckpt: every epoch's end (Lightning's save_last
    # writes it only when best.ckpt is written, so a run that stopped improving resumed too early)
    best, last = (RelocatableCheckpoint(dirpath=run_dir / "checkpoints", filename=name, monitor=monitor,
                                        mode=task_class.monitor_mode, auto_insert_metric_name=False,
                                        enable_version_counter=False)
                  for name, monitor in (("best", task_class.monitor), ("last", None)))
    callbacks = [*configured_callbacks(cfg, task_class), *callbacks]
    if cfg.get("ema_decay") is not None:
        callbacks = [EMAWeightAveraging(decay=cfg.ema_decay), *callbacks]
    extra = {}
    if "precision" in cfg.trainer:
        extra["precision"] = supported_precision(cfg.trainer.precision, cfg.trainer.accelerator)
    # a progress bar or model summary the user asked for by callback is shown
    bar = any(isinstance(c, ProgressBar) for c in callbacks) or \
        progress_bar_wanted(cfg.trainer.get("enable_progress_bar", True))
    summary = any(isinstance(c, ModelSummary) for c in callbacks)
    return instantiate(cfg.trainer, default_root_dir=run_dir, logger=build_loggers(cfg, run_dir),
                       callbacks=[best, last, InterruptCheckpoint(run_dir / "checkpoints"),
                                  ConfigInCheckpoint(resolved, seconds_before), SamplerPosition(),
                                  BatchSeeds(cfg.seed),
                                  EpochLine(task_class.monitor, task_class.monitor_mode),
                                  *callbacks],
                       use_distributed_sampler=False,
                       enable_progress_bar=bar,
                       enable_model_summary=summary or cfg.trainer.get("enable_model_summary", True),
                       **extra)


def train(cfg: DictConfig, command: str | None = None, callbacks=()) -> dict[str, float]:
    """Trains one run and returns its final metrics (also written to metrics.json). `command`
    (default: this process's command line) lands in run_info.json with versions and hardware;
    `callbacks` are added to the Trainer's. Runs in every DDP process: the config is checked
    before any data is read, and the run directory is written by global rank 0 alone. Raises
    `TrainingInterrupted` when SIGINT or SIGTERM stopped training (`resume=true` continues).
    `data.cv_fold=all` trains every fold (`seqtasks.training.cross_validation`) and returns the means."""
    if cfg.data.get("cv_fold") == "all":
        from seqtasks.training.cross_validation import cross_validate  # it trains each fold with this
        return cross_validate(cfg, command, callbacks)
    check_config(cfg)
    run_dir = Path(cfg.output_dir)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    if not cfg.resume:
        check_fresh_start(run_dir, cfg.get("overwrite", False))
    ckpt_path = resume_checkpoint(run_dir, resolved) if cfg.resume else None
    state = read_seqtasks_checkpoint(ckpt_path) if ckpt_path else {}  # plain data, or one line
    seconds_before = float(state.get("seqtasks_train_seconds", 0.0))  # the parts trained before
    history = earlier_rows(run_dir / "metrics.csv", state) if ckpt_path else []  # the logger replaces it
    trainer = build_trainer(cfg, run_dir, resolved, callbacks, seconds_before)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    # the run directory already holds config.yaml; CSVLogger would only replace metrics.csv
    warnings.filterwarnings("ignore", message="Experiment logs directory .* exists and is not empty")
    # SamplerPosition, not the loader, resumes the sampler mid-epoch
    warnings.filterwarnings("ignore", message=".*your dataloader is not resumable")
    if not progress_bar_wanted():
        datasets.disable_progress_bars()

    data = prepare_data(cfg, trainer)  # the data is read and checked before anything is written
    model = instantiate(cfg.task, encoder=instantiate(cfg.encoder), _convert_="all",
                        **data.model_kwargs())
    if trainer.is_global_zero:
        write_run_files(run_dir, resolved, data, None if cfg.resume else run_info(command), cfg.trainer)
        hyperparameters_to_trackers(trainer.loggers, resolved)
    params = sum(p.numel() for p in model.parameters())
    log.info("model: %s parameters; data: %s", f"{params:,}", data.stats)
    try:
        metrics = fit_and_evaluate(trainer, model, data, ckpt_path, seconds_before)
    finally:  # also when interrupted again: metrics.csv keeps every epoch of the run
        if history and trainer.is_global_zero:
            prepend_rows(run_dir / "metrics.csv", history)
    if isinstance(data, CrossValidated) and data.cv_folds:  # a held-out fold, not the test split
        metrics = {f"cv/{k[5:]}" if k.startswith("test/") else k: v for k, v in metrics.items()}
    metrics.update({"params": params, "best_epoch": _best_epoch(trainer.checkpoint_callback),
                    **{f"data/{k}": v for k, v in data.stats.items()}})
    not_finite = sorted(k for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v))
    if not_finite:  # a NaN/inf metric is a failed run, not a value (metrics.json stays strict JSON)
        raise ValueError(f"the run's {', '.join(not_finite[:4])} are not finite: training diverged; "
                         f"metrics.json is not written (try a lower task.lr, or check the data)")
    if trainer.is_global_zero:
        write_atomic(run_dir / "metrics.json", json.dumps(metrics, indent=2, allow_nan=False) + "\n")
        final_figures_to_trackers(trainer.loggers, resolved, metrics, run_dir)
        held_out = "cv" if any(k.startswith("cv/") for k in metrics) else "test"
        log.info("%s: %s", held_out, {k: round(v, 4) for k, v in metrics.items() if k.startswith(held_out)})
        print(f"run directory: {run_dir}")
    return metrics


def prepare_data(cfg: DictConfig, trainer: pl.Trainer) -> pl.LightningDataModule:
    """The datamodule, set up before the model (sizes such as vocab and classes flow from it). The
    first process of each machine builds caches; the others wait for them in `setup`."""
    data = instantiate(cfg.data)
    if trainer.local_rank == 0:
        data.prepare_data()
    data.setup("fit")
    return data


def write_run_files(run_dir: Path, resolved: dict, data, info: dict | None, trainer_cfg) -> None:
    """config.yaml (on resume too: it takes the changes FREE_ON_RESUME allows), run_info.json for a
    new run (marked when it is a smoke run) and the datamodule's artifacts (tokenizer, labels,
    scaling), once data and model exist."""
    run_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(run_dir / "config.yaml", OmegaConf.to_yaml(resolved))
    if info is not None:
        smoke = smoke_run(trainer_cfg)
        write_atomic(run_dir / "run_info.json", json.dumps(info | ({"smoke_run": smoke} if smoke else {}),
                                                           indent=2) + "\n")
        if smoke:
            log.warning("smoke run (%s): its figures are not results", smoke)
    if isinstance(data, SavesArtifacts):
        data.save_artifacts(run_dir)


def fit_and_evaluate(trainer: pl.Trainer, model, data, ckpt_path: Path | None,
                     seconds_before: float = 0.0) -> dict[str, float]:
    """Fits (from `ckpt_path` when resuming), then validates and tests the best checkpoint; the
    metrics and `train_seconds`. A stop by signal becomes `TrainingInterrupted`."""
    start = time.perf_counter()
    try:
        trainer.fit(model, datamodule=data, ckpt_path=ckpt_path, weights_only=True)
        seconds, metrics = round(seconds_before + time.perf_counter() - start, 2), {}
        # best.ckpt's state_dict holds the averaged weights; the callback would load the raw ones
        trainer.callbacks = [c for c in trainer.callbacks if not isinstance(c, WeightAveraging)]
        best = None if trainer.fast_dev_run else "best"  # fast_dev_run saves no checkpoint
        # metrics.csv keeps one row per epoch trained; the final figures go to metrics.json
        trainer.loggers = [lg for lg in trainer.loggers if not isinstance(lg, CSVLogger)]
        for run in (trainer.validate, trainer.test):
            results = run(model, datamodule=data, ckpt_path=best, verbose=False, weights_only=True)
            metrics.update({k: float(v) for k, v in results[0].items()})
    except SIGTERMException:  # stopped during fit (interrupted.ckpt) or evaluation (last.ckpt)
        stopper = next(c for c in trainer.callbacks if isinstance(c, InterruptCheckpoint))
        last = Path(trainer.default_root_dir) / "checkpoints" / "last.ckpt"
        raise TrainingInterrupted(stopper.ckpt_path if stopper.ckpt_path.is_file() else last,
                                  stopper.signum) from None
    return metrics | {"train_seconds": seconds}


def _best_epoch(checkpoint: ModelCheckpoint) -> int:
    """The epoch of best.ckpt; -1 when none was saved (fast_dev_run)."""
    if not checkpoint.best_model_path:
        return -1
    return int(load_checkpoint(Path(checkpoint.best_model_path))["epoch"])


def smoke_run(trainer_cfg) -> str:
    """The Trainer settings that make this a smoke run rather than a result ('' when none):
    `fast_dev_run`, or a `limit_*_batches` below the whole split."""
    limits = {k: v for k, v in trainer_cfg.items()
              if (k == "fast_dev_run" and v) or (k.startswith("limit_") and v not in (None, 1.0))}
    return ", ".join(f"trainer.{k}={v}" for k, v in limits.items())
