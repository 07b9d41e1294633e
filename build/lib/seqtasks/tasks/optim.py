"""The optimizer every task uses: AdamW with a one-cycle learning-rate schedule stepped per batch."""

from __future__ import annotations

import pytorch_lightning as pl
import torch


class OneCycle(torch.optim.lr_scheduler.OneCycleLR):
    """`OneCycleLR` whose plan (total steps, phases) is the current run's and whose progress comes
    from a checkpoint: resuming with the same `trainer.max_epochs` repeats the schedule exactly, and
    resuming with more epochs follows the longer run's curve for the steps that remain."""

    def load_state_dict(self, state_dict: dict) -> None:
        plan = {key: self.__dict__[key] for key in ("total_steps", "_schedule_phases")}
        super().load_state_dict(state_dict)
        self.__dict__.update(plan)


def adamw_one_cycle(
    module: pl.LightningModule, param_groups, lr: float, warmup_fraction: float, weight_decay: float = 0.0
) -> dict:
    """`configure_optimizers`' answer: linear warm-up over `warmup_fraction` of all steps, then
    cosine decay. `param_groups` is a list of parameters or of AdamW groups."""
    opt = torch.optim.AdamW(param_groups, lr=lr, weight_decay=weight_decay)
    sched = OneCycle(
        opt,
        max_lr=lr,
        total_steps=module.trainer.estimated_stepping_batches,
        pct_start=warmup_fraction,
        anneal_strategy="cos",
    )
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
