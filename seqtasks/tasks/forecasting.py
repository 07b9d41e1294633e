"""Multi-step forecasting: a look-back window -> the next H steps of every target column at once.

The recurrent model follows SegRNN's framing (Lin et al. 2023) around a plain RNN/LSTM: instance
normalization, channel independence (each column its own sequence, shared weights) and
segment-wise input (the window cut into segments of `segment_length` steps, each embedded by a
linear layer). Two baselines run through the same code: repeat-the-last-value and DLinear.
"""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection

from seqtasks.tasks.loss_means import log_loss, loss_means
from seqtasks.tasks.optim import adamw_one_cycle
from seqtasks.tasks.options import check_choice, check_fraction, check_optimizer, check_positive_int

FORECAST_MODELS = ("recurrent", "linear", "repeat_last")
INSTANCE_NORMS = ("revin", "last", "none")
LOSSES = {"mse": F.mse_loss, "mae": F.l1_loss}


class InstanceNorm(nn.Module):
    """Reversible instance normalization: each window's channels are shifted (by their mean, or
    their last value) and scaled before the model, and the forecast is mapped back after it."""

    def __init__(self, kind: str, num_channels: int):
        super().__init__()
        if kind not in INSTANCE_NORMS:
            raise ValueError(f"task.instance_norm='{kind}' is not one of {list(INSTANCE_NORMS)}")
        self.kind = kind
        if kind == "revin":  # RevIN (Kim et al. 2022): learnable affine per channel
            self.weight, self.bias = (
                nn.Parameter(torch.ones(num_channels)),
                nn.Parameter(torch.zeros(num_channels)),
            )

    def normalize(self, x: torch.Tensor):
        """x (B, L, C) -> normalized x and the statistics that `denormalize` needs."""
        if self.kind == "none":
            return x, None
        if self.kind == "last":
            shift = x[:, -1:, :]  # (B, 1, C)
            return x - shift, (shift, None)
        mean, std = x.mean(1, keepdim=True), (x.var(1, keepdim=True, unbiased=False) + 1e-5).sqrt()
        return (x - mean) / std * self.weight + self.bias, (mean, std)

    def denormalize(self, y: torch.Tensor, stats, index: torch.Tensor) -> torch.Tensor:
        """y (B, H, K) for the channels `index` -> original (standardized-data) scale."""
        if stats is None:
            return y
        shift, scale = stats
        if scale is None:
            return y + shift[..., index]
        y = (y - self.bias[index]) / (self.weight[index] + 1e-10)
        return y * scale[..., index] + shift[..., index]


class DLinear(nn.Module):
    """DLinear (Zeng et al. 2023): moving-average trend + remainder, one linear map L -> H each,
    shared by all channels."""

    def __init__(self, lookback: int, horizon: int, kernel: int = 25):
        super().__init__()
        self.kernel = kernel
        self.trend, self.seasonal = nn.Linear(lookback, horizon), nn.Linear(lookback, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C) -> (B, H, C)"""
        pad = (self.kernel - 1) // 2
        padded = torch.cat(
            [x[:, :1].expand(-1, pad, -1), x, x[:, -1:].expand(-1, self.kernel - 1 - pad, -1)], 1
        )
        trend = F.avg_pool1d(padded.transpose(1, 2), self.kernel, stride=1)  # -> (B, C, L)
        seasonal = x.transpose(1, 2) - trend
        return (self.trend(trend) + self.seasonal(seasonal)).transpose(1, 2)


class SegmentRecurrent(nn.Module):
    """Segments of the window -> linear embedding -> encoder -> linear head to all H steps."""

    def __init__(
        self,
        encoder: Callable[..., nn.Module],
        lookback: int,
        horizon: int,
        channels_in: int,
        channels_out: int,
        segment_length: int,
        embedding_dim: int,
        dropout: float,
    ):
        super().__init__()
        if lookback % segment_length:
            raise ValueError(f"task.segment_length={segment_length} must divide the lookback {lookback}")
        self.segment_length, self.channels_out = segment_length, channels_out
        self.embed = nn.Sequential(nn.Linear(segment_length * channels_in, embedding_dim), nn.ReLU())
        self.encoder = encoder(input_size=embedding_dim)
        self.head = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(self.encoder.output_dim, horizon * channels_out)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C) -> (B, H, channels_out)"""
        B, L, C = x.shape
        segments = x.reshape(B, L // self.segment_length, self.segment_length * C)  # -> (B, S, w*C)
        lengths = torch.full((B,), segments.shape[1], dtype=torch.long)
        _, summary = self.encoder(self.embed(segments), lengths)  # -> (B, D)
        return self.head(summary).reshape(B, -1, self.channels_out)


class Forecaster(pl.LightningModule):
    """Predicts the next `horizon` steps of the targets (the first `len(target_names)` inputs).

    `model`: recurrent (the encoder), linear (DLinear) or repeat_last. With
    `channel_independent`, every input column is its own univariate sequence through shared
    weights, and the target columns' forecasts are kept. Loss and `val/mse`, `test/mae` are on the
    standardized scale (as papers report); `test/mse_original`, `test/mae_original` in data units.
    """

    monitor, monitor_mode = "val/mse", "min"

    def __init__(
        self,
        encoder: Callable[..., nn.Module],
        num_inputs: int,
        target_names: list[str],
        lookback: int,
        horizon: int,
        target_mean: list[float],
        target_std: list[float],
        model: str = "recurrent",
        channel_independent: bool = True,
        instance_norm: str = "revin",
        segment_length: int = 12,
        embedding_dim: int = 128,
        dropout: float = 0.1,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        warmup_fraction: float = 0.1,
        loss: str = "mse",
    ):
        super().__init__()
        self.save_hyperparameters(ignore=["encoder"], logger=False)  # trackers get the whole config
        self.check_options(self.hparams)
        K = len(target_names)
        self.register_buffer("target_index", torch.arange(K), persistent=False)
        self.register_buffer("mean", torch.tensor(target_mean), persistent=False)
        self.register_buffer("std", torch.tensor(target_std), persistent=False)
        self.norm = InstanceNorm(instance_norm, num_inputs)
        c_in, c_out = (1, 1) if channel_independent else (num_inputs, K)
        if model == "recurrent":
            self.net = SegmentRecurrent(
                encoder, lookback, horizon, c_in, c_out, segment_length, embedding_dim, dropout
            )
        elif model == "linear":
            self.net = DLinear(lookback, horizon)
        metrics = MetricCollection({"mse": MeanSquaredError(), "mae": MeanAbsoluteError()})
        self.val_metrics, self.test_metrics = metrics.clone("val/"), metrics.clone("test/")
        self.loss_means = loss_means()
        self.test_original = metrics.clone("test/", postfix="_original")

    @staticmethod
    def check_options(options: dict) -> None:
        """Checks the options that need no data (all constructor arguments given in `options`)."""
        check_choice("model", options["model"], FORECAST_MODELS)
        check_choice("loss", options["loss"], LOSSES)
        check_choice("instance_norm", options["instance_norm"], INSTANCE_NORMS)
        check_fraction("dropout", options["dropout"])
        for name in ("segment_length", "embedding_dim"):
            check_positive_int(name, options[name])
        check_optimizer(options)
        lookback, segment = options.get("lookback"), options["segment_length"]  # lookback: from the data
        if options["model"] == "recurrent" and isinstance(lookback, int) and lookback % segment:
            raise ValueError(f"task.segment_length={options['segment_length']} must divide the lookback "
                             f"{lookback} (data.lookback)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C), standardized -> forecast (B, H, K), standardized."""
        hp = self.hparams
        if hp.model == "repeat_last":
            return x[:, -1:, self.target_index].expand(-1, hp.horizon, -1)
        z, stats = self.norm.normalize(x)
        if hp.model == "linear":
            y = self.net(z)[..., self.target_index]  # DLinear is channel independent by design
        elif hp.channel_independent:
            B, L, C = z.shape
            y = self.net(z.transpose(1, 2).reshape(B * C, L, 1))  # -> (B*C, H, 1)
            y = y.reshape(B, C, hp.horizon).transpose(1, 2)[..., self.target_index]
        else:
            y = self.net(z)
        return self.norm.denormalize(y, stats, self.target_index)

    def to_original_units(self, y: torch.Tensor) -> torch.Tensor:
        return y * self.std + self.mean

    def model_step(self, batch):
        """The batch's training loss, nothing logged (the report's gradient probe uses it)."""
        x, y = batch
        return LOSSES[self.hparams.loss](self(x), y)

    def training_step(self, batch, batch_idx):
        loss = self.model_step(batch)
        log_loss(self, "train", loss, len(batch[1]))
        return loss if loss.requires_grad else None  # repeat_last has nothing to learn

    def _eval_step(self, batch, stage: str, metrics: MetricCollection):
        x, y = batch
        pred = self(x)
        log_loss(self, stage, LOSSES[self.hparams.loss](pred, y), len(y))
        metrics.update(pred.flatten(), y.flatten())
        self.log_dict(metrics, on_step=False, on_epoch=True, prog_bar=stage == "val")
        return pred

    def validation_step(self, batch, batch_idx):
        self._eval_step(batch, "val", self.val_metrics)

    def test_step(self, batch, batch_idx):
        pred = self._eval_step(batch, "test", self.test_metrics)
        self.test_original.update(
            self.to_original_units(pred).flatten(), self.to_original_units(batch[1]).flatten()
        )
        self.log_dict(self.test_original, on_step=False, on_epoch=True)

    def predict_step(self, batch, batch_idx):
        return self.to_original_units(self(batch[0]))

    def configure_optimizers(self):
        """AdamW with a one-cycle schedule; repeat_last has no parameters and trains nothing."""
        params = list(self.parameters())
        if not params:
            return None
        hp = self.hparams
        return adamw_one_cycle(self, params, hp.lr, hp.warmup_fraction, hp.weight_decay)
