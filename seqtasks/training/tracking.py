"""Experiment trackers: the Lightning loggers of the `logger` group (CSV always, first), and what
they receive beyond the logged metrics: the whole resolved config as flat hyperparameters, so
TensorBoard's HParams tab and MLflow's params tell runs apart, and the run's final figures."""

from __future__ import annotations

import os
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig
from pytorch_lightning.loggers import CSVLogger, Logger, MLFlowLogger, TensorBoardLogger

from seqtasks.config.compose import flatten

RUN_FIGURES = ("train_seconds", "params", "best_epoch")  # metrics.json keys no Trainer stage logs


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


def flat_hyperparameters(resolved: dict) -> dict[str, str | int | float | bool]:
    """{"encoder": {"hidden_size": 128}} -> {"encoder.hidden_size": 128, ...}, plus the Hydra group
    choices (`data`, `encoder`, `task`, ...) when Hydra composed the config; values that trackers
    cannot hold (None, lists) become strings."""
    flat = {k: v if isinstance(v, str | int | float | bool) else str(v) for k, v in flatten(resolved).items()}
    if HydraConfig.initialized():
        flat |= {group: str(choice) for group, choice in HydraConfig.get().runtime.choices.items()
                 if not group.startswith("hydra") and group not in flat}
    return flat


def hyperparameters_to_trackers(loggers: list[Logger], resolved: dict) -> None:
    """Before training: the flat config to every tracker but CSV (the run directory holds
    config.yaml) and TensorBoard (which takes it once, with the test metrics, at the end)."""
    params = flat_hyperparameters(resolved)
    for logger in loggers:
        if not isinstance(logger, CSVLogger | TensorBoardLogger):
            logger.log_hyperparams(params)


def final_figures_to_trackers(loggers: list[Logger], resolved: dict, metrics: dict,
                              run_dir: Path | None = None) -> None:
    """After the test: the figures no Trainer stage logs (train_seconds, params, best_epoch) to
    every tracker, and to TensorBoard the flat config with the test metrics: one hparams record,
    which is what its HParams tab compares. MLflow with `log_model` also gets the run directory's
    best.ckpt, config.yaml and metrics.json as artifacts (Lightning's own upload keeps only the
    checkpoints of the last ModelCheckpoint to save, here last.ckpt)."""
    final = {k: float(v) for k, v in metrics.items() if k.startswith("test/") or k in RUN_FIGURES}
    for logger in loggers:
        if isinstance(logger, CSVLogger):
            continue
        if isinstance(logger, TensorBoardLogger):
            logger.log_hyperparams(flat_hyperparameters(resolved),
                                   metrics={k: v for k, v in final.items() if k.startswith("test/")})
        logger.log_metrics({k: final[k] for k in RUN_FIGURES if k in final})
        if isinstance(logger, MLFlowLogger) and getattr(logger, "_log_model", False) and run_dir:
            for name in ("checkpoints/best.ckpt", "config.yaml", "metrics.json"):
                if (run_dir / name).is_file():
                    logger.experiment.log_artifact(logger.run_id, str(run_dir / name),
                                                   str(Path("run") / Path(name).parent))
        logger.save()
