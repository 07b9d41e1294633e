"""Sequence regression (one number per sequence) and the input-gradient probe that shows why a
plain RNN fails on long-range tasks: ||dL/dx_t|| shrinks with the distance from x_t to the end."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from pytorch_lightning.callbacks import Callback
from torch import nn
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection

from seqtasks.tasks.loss_means import log_loss, loss_means
from seqtasks.tasks.optim import adamw_one_cycle
from seqtasks.tasks.options import check_optimizer


def input_gradient_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ||dL_i/dx_{i,t}|| for each step t, L_i the example's squared error.
    x (B, T, F), y (B,) -> (T,)"""
    was_training = model.training
    model.eval()  # no dropout in the probe
    with torch.enable_grad():
        x = x.clone().requires_grad_(True)
        lengths = torch.full((len(x),), x.shape[1], dtype=torch.long)
        loss = ((model(x, lengths) - y) ** 2).sum()  # per-example losses: gradients not scaled by 1/B
        (grad,) = torch.autograd.grad(loss, x)  # -> (B, T, F)
    model.train(was_training)
    return grad.norm(dim=-1).mean(0).detach()


class InputGradientNorms(Callback):
    """Records the input-gradient norms on a fixed probe batch at the start of every epoch and
    after training; writes gradient_norms.csv and gradient_norms.png into the run directory."""

    def __init__(self):
        self.rows: list[tuple[int, int, float]] = []  # (epoch, distance_to_end, norm)

    def _record(self, trainer, pl_module, epoch: int) -> None:
        x, y = trainer.datamodule.probe_batch()
        norms = input_gradient_norms(pl_module, x.to(pl_module.device), y.to(pl_module.device)).cpu()
        T = len(norms)
        self.rows += [(epoch, T - 1 - t, float(norms[t])) for t in range(T)]

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._record(trainer, pl_module, trainer.current_epoch)

    def on_train_end(self, trainer, pl_module) -> None:
        self._record(trainer, pl_module, trainer.current_epoch)  # epochs completed
        if trainer.is_global_zero:
            self.save(Path(trainer.default_root_dir))

    def save(self, run_dir: Path) -> None:
        with open(run_dir / "gradient_norms.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", "distance_to_end", "grad_norm"])
            writer.writerows(self.rows)
        plot_gradient_norms(self.rows, run_dir / "gradient_norms.png")


def plot_gradient_norms(rows, path: Path, title: str = "") -> None:
    """||dL/dx_t|| against the distance to the end, one line per recorded epoch (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = sorted({r[0] for r in rows})
    shown = sorted({epochs[0], epochs[len(epochs) // 2], epochs[-1]})
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for e in shown:
        pts = sorted((d, g) for ep, d, g in rows if ep == e)
        ax.plot([d for d, _ in pts], [max(g, 1e-30) for _, g in pts], label=f"after {e} epochs")
    ax.set(
        yscale="log",
        xlabel="distance to the end of the sequence (steps)",
        ylabel="||dL/dx_t||",
        title=title or "input-gradient norm",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


class SequenceRegressor(pl.LightningModule):
    """Feature frames -> encoder -> the summary state -> one number; MSE loss, `val/mse`, `test/mse`.
    Records input-gradient norms per epoch (see `InputGradientNorms`) when `gradient_probe`."""

    monitor, monitor_mode = "val/mse", "min"

    def __init__(
        self,
        encoder: Callable[..., nn.Module],
        num_features: int,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        warmup_fraction: float = 0.05,
        gradient_probe: bool = True,
    ):
        super().__init__()
        self.save_hyperparameters(ignore=["encoder"], logger=False)  # trackers get the whole config
        self.check_options(self.hparams)
        self.encoder = encoder(input_size=num_features)
        self.head = nn.Linear(self.encoder.output_dim, 1)
        metrics = MetricCollection({"mse": MeanSquaredError(), "mae": MeanAbsoluteError()})
        self.val_metrics, self.test_metrics = metrics.clone("val/"), metrics.clone("test/")
        self.loss_means = loss_means()

    @staticmethod
    def check_options(options: dict) -> None:
        """Checks the options that need no data (all constructor arguments given in `options`)."""
        check_optimizer(options)

    def forward(self, x, lengths):
        """x (B, T, F), lengths (B,) -> (B,)"""
        _, summary = self.encoder(x, lengths)  # -> (B, D)
        return self.head(summary).squeeze(-1)

    def _step(self, batch):
        x, y = batch
        return self(x, torch.full((len(x),), x.shape[1], dtype=torch.long, device=x.device)), y

    def model_step(self, batch):
        """The batch's training loss, nothing logged (the report's gradient probe uses it)."""
        pred, y = self._step(batch)
        return F.mse_loss(pred, y)

    def training_step(self, batch, batch_idx):
        loss = self.model_step(batch)
        log_loss(self, "train", loss, len(batch[-1]))
        return loss

    def _eval_step(self, batch, stage: str, metrics: MetricCollection):
        pred, y = self._step(batch)
        log_loss(self, stage, F.mse_loss(pred, y), len(y))
        metrics.update(pred, y)
        self.log_dict(metrics, on_step=False, on_epoch=True, prog_bar=stage == "val")

    def validation_step(self, batch, batch_idx):
        self._eval_step(batch, "val", self.val_metrics)

    def test_step(self, batch, batch_idx):
        self._eval_step(batch, "test", self.test_metrics)

    def predict_step(self, batch, batch_idx):
        """-> predictions (B,), for reports and prediction (the batch may carry its targets)."""
        return self._step((batch[0], None))[0]

    def configure_callbacks(self):
        return [InputGradientNorms()] if self.hparams.gradient_probe else []

    def configure_optimizers(self):
        hp = self.hparams
        return adamw_one_cycle(self, self.parameters(), hp.lr, hp.warmup_fraction, hp.weight_decay)
