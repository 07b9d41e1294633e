"""Losses logged as torchmetrics means weighted by rows, so that under DDP the epoch's loss counts
every process's rows once. (Lightning's `sync_dist` mean divides by the mean row count stored as an
integer: with uneven shards it is truncated and the loss skewed.)"""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics import MeanMetric


def loss_means() -> nn.ModuleDict:
    """One running mean per stage; a task holds it as `self.loss_means`."""
    return nn.ModuleDict({f"{stage}_loss": MeanMetric() for stage in ("train", "val", "test")})


def log_loss(module: pl.LightningModule, stage: str, loss: torch.Tensor, rows: int) -> None:
    """Adds a batch's mean loss over `rows` rows to `<stage>/loss`, logged once per epoch; training
    also logs each batch's loss as `train/loss_step` (every `trainer.log_every_n_steps`, and in the
    progress bar)."""
    mean = module.loss_means[f"{stage}_loss"]
    mean.update(loss.detach(), weight=rows)
    module.log(f"{stage}/loss", mean, on_step=False, on_epoch=True)
    if stage == "train":
        module.log("train/loss_step", loss.detach(), on_step=True, on_epoch=False, prog_bar=True,
                   batch_size=rows)
