"""`train(cfg) -> metrics`: data, model and Trainer from the config, fit, test with the best
checkpoint, and write the run directory (config.yaml, run_info.json, checkpoints/, metrics.csv,
metrics.json)."""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from pathlib import Path

import datasets
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import Callback, ModelCheckpoint
from pytorch_lightning.loggers import CSVLogger, Logger

from seqtasks.environment import progress_bar_wanted, run_info

log = logging.getLogger(__name__)


def write_atomic(path: Path, text: str) -> None:
    """Writes to a temporary file, then renames: readers never see a truncated file."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


class ConfigInCheckpoint(Callback):
    """Stores the resolved config (plain types) in every checkpoint, so a checkpoint alone
    says how to rebuild its model and data."""

    def __init__(self, config: dict):
        self.config = config

    def on_save_checkpoint(self, trainer, pl_module, checkpoint) -> None:
        checkpoint["seqtasks_config"] = self.config


def build_loggers(cfg: DictConfig, run_dir: Path) -> list[Logger]:
    """The Lightning loggers chosen by `logger=[csv,tensorboard,mlflow]`; the CSV logger is always
    there and first, because reports read metrics.csv."""
    loggers = []
    for name, conf in (cfg.get("logger") or {}).items():
        if name == "mlflow" and str(conf.get("tracking_uri", "")).startswith("file:"):
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3: local store opt-in
        loggers.append(instantiate(conf))
    csv = [lg for lg in loggers if isinstance(lg, CSVLogger)] or [CSVLogger(run_dir, name="", version="")]
    return csv[:1] + [lg for lg in loggers if not isinstance(lg, CSVLogger)]


def train(cfg: DictConfig, command: str | None = None) -> dict[str, float]:
    """Trains one run and returns its final metrics (also written to metrics.json). `command`
    (default: this process's command line) lands in run_info.json with versions and hardware."""
    run_dir = Path(cfg.output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    write_atomic(run_dir / "config.yaml", OmegaConf.to_yaml(resolved))
    write_atomic(run_dir / "run_info.json", json.dumps(run_info(command), indent=2) + "\n")
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    # the run directory already holds config.yaml; CSVLogger would only replace metrics.csv
    warnings.filterwarnings("ignore", message="Experiment logs directory .* exists and is not empty")
    if not progress_bar_wanted():
        datasets.disable_progress_bars()

    data = instantiate(cfg.data)
    data.prepare_data()
    data.setup("fit")  # before the model: sizes (vocab, classes) flow from the data
    if hasattr(data, "save_artifacts"):  # tokenizer, labels, scaling: whatever the data has
        data.save_artifacts(run_dir)
    model = instantiate(cfg.task, encoder=instantiate(cfg.encoder), _convert_="all",
                        **data.model_kwargs())
    params = sum(p.numel() for p in model.parameters())
    log.info("model: %s parameters; data: %s", f"{params:,}", data.stats)

    checkpoint = ModelCheckpoint(dirpath=run_dir / "checkpoints", filename="best",
                                 monitor=model.monitor, mode=model.monitor_mode, save_last=True,
                                 auto_insert_metric_name=False, enable_version_counter=False)
    trainer = instantiate(cfg.trainer, default_root_dir=run_dir,
                          logger=build_loggers(cfg, run_dir),
                          callbacks=[checkpoint, ConfigInCheckpoint(resolved)],
                          enable_progress_bar=progress_bar_wanted(
                              cfg.trainer.get("enable_progress_bar", True)))
    start = time.perf_counter()
    trainer.fit(model, datamodule=data)
    train_seconds = time.perf_counter() - start

    metrics: dict[str, float] = {}
    for results in (trainer.validate(model, datamodule=data, ckpt_path="best", verbose=False),
                    trainer.test(model, datamodule=data, ckpt_path="best", verbose=False)):
        metrics.update({k: float(v) for k, v in results[0].items()})
    metrics.update({"train_seconds": round(train_seconds, 2), "params": params,
                    "best_epoch": _best_epoch(checkpoint),
                    **{f"data/{k}": v for k, v in data.stats.items()}})
    write_atomic(run_dir / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    log.info("test: %s", {k: round(v, 4) for k, v in metrics.items() if k.startswith("test/")})
    print(f"run directory: {run_dir}")
    return metrics


def _best_epoch(checkpoint: ModelCheckpoint) -> int:
    ckpt = torch.load(checkpoint.best_model_path, map_location="cpu", weights_only=True)
    return int(ckpt["epoch"])
