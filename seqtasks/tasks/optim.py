"""The optimizer every task uses: AdamW with a one-cycle learning-rate schedule stepped per batch."""

from __future__ import annotations

import pytorch_lightning as pl
import torch


def adamw_one_cycle(
    module: pl.LightningModule, param_groups, lr: float, warmup_fraction: float, weight_decay: float = 0.0
) -> dict:
    """`configure_optimizers`' answer: linear warm-up over `warmup_fraction` of all steps, then
    cosine decay. `param_groups` is a list of parameters or of AdamW groups."""
    opt = torch.optim.AdamW(param_groups, lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt,
        max_lr=lr,
        total_steps=module.trainer.estimated_stepping_batches,
        pct_start=warmup_fraction,
        anneal_strategy="cos",
    )
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
