"""What the measurements share: composing the real configs, a datamodule ready to use, a model."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from seqtasks.config.compose import load_config
from seqtasks.training.train import build_trainer

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def real_datasets(shared: Path = SHARED_DATA) -> dict[str, list[str]]:
    """The real datasets as train.py overrides: BBC News always (a package ships it), TREC, SST-2
    and FSDD where the shared folder holds them."""
    found = {"bbc_news": ["task=text"]}
    for name, overrides, path in (
        ("trec", ["task=text", "data=trec"], shared / "text" / "trec"),
        ("sst2", ["task=text", "data=sst2"], shared / "text" / "sst2"),
        ("fsdd", ["task=digits", "data=fsdd"], shared / "fsdd" / "recordings"),
    ):
        if path.is_dir():
            found[name] = [*overrides, f"data.root={path}"]
    return found


def ready_data(overrides: list[str]) -> tuple[DictConfig, object]:
    """The composed config (on the CPU) and its datamodule, prepared and set up."""
    cfg = load_config(["trainer=cpu", *overrides])
    data = instantiate(cfg.data)
    data.prepare_data()
    data.setup("fit")
    return cfg, data


def new_model(cfg: DictConfig, data, seed: int = 0) -> torch.nn.Module:
    """The task's model with sizes from the data; the same `seed` gives the same weights."""
    torch.manual_seed(seed)
    return instantiate(cfg.task, encoder=instantiate(cfg.encoder), _convert_="all", **data.model_kwargs())


def fit_without_validation(cfg: DictConfig, data, callbacks=(), **trainer_args) -> pl.Trainer:
    """Fits a fresh model with the seqtasks Trainer (its callbacks, logging, checkpoints) in a
    temporary run directory, with `trainer_args` set and no validation; the finished Trainer."""
    cfg = cfg.copy()
    with tempfile.TemporaryDirectory() as run_dir, open_dict(cfg):
        cfg.output_dir = run_dir  # ${output_dir} in trainer_args resolves to it
        cfg.trainer.update(limit_val_batches=0, enable_progress_bar=False, **trainer_args)
        resolved = OmegaConf.to_container(cfg, resolve=True)
        trainer = build_trainer(cfg, Path(run_dir), resolved, list(callbacks))
        trainer.fit(new_model(cfg, data), datamodule=data)
    data.trainer = None  # the datamodule serves a plain loop (or another Trainer) next
    return trainer
