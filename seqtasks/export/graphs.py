"""What an exported model computes, per task: the graph's inputs (what the task's `forward` takes),
its output (what `predict_step` returns), and how a predict batch feeds it. One table, so export,
the ONNX runner and the round-trip tests agree on names, shapes and dtypes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class GraphSpec:
    inputs: tuple[str, ...]  # graph input names, in order
    output: str  # the one graph output
    axes: dict[str, tuple[str, ...]]  # each input's and the output's axis names; "batch"/"time" are dynamic
    feed: Callable[[tuple], tuple[Tensor, ...]]  # a predict batch -> the graph's inputs
    run: Callable[..., Tensor]  # (model, *inputs) -> what predict_step returns


def _full_lengths(batch) -> tuple[Tensor, Tensor]:
    x = batch[0]  # (B, T, F): the memory task's sequences have no padding
    return x, torch.full((len(x),), x.shape[1], dtype=torch.long)


GRAPHS = {
    # ids [B, T] (text) or frames [B, T, F] (digits), lengths [B] -> class probabilities [B, C]
    "SequenceClassifier": GraphSpec(
        ("x", "lengths"), "probabilities",
        {"x": ("batch", "time"), "lengths": ("batch",), "probabilities": ("batch", "classes")},
        feed=lambda batch: (batch[0], batch[1]),
        run=lambda model, x, lengths: model(x, lengths).softmax(-1)),
    # frames [B, T, F], lengths [B] -> one value per sequence [B]
    "SequenceRegressor": GraphSpec(
        ("x", "lengths"), "prediction",
        {"x": ("batch", "time"), "lengths": ("batch",), "prediction": ("batch",)},
        feed=_full_lengths,
        run=lambda model, x, lengths: model(x, lengths)),
    # standardized window [B, L, C] -> forecast in data units [B, H, K] (L is the model's lookback)
    "Forecaster": GraphSpec(
        ("x",), "forecast", {"x": ("batch",), "forecast": ("batch",)},
        feed=lambda batch: (batch[0],),
        run=lambda model, x: model.to_original_units(model(x))),
}


def graph_spec(model: nn.Module) -> GraphSpec:
    """The spec of a task module (by class name, through its bases), or a one-line refusal."""
    for cls in type(model).__mro__:
        if cls.__name__ in GRAPHS:
            return GRAPHS[cls.__name__]
    return spec_for_task(type(model).__name__)


def spec_for_task(name: str) -> GraphSpec:
    if name not in GRAPHS:
        raise ValueError(f"no export graph for task {name}; exportable: {', '.join(GRAPHS)}")
    return GRAPHS[name]


class PredictGraph(nn.Module):
    """The module torch.onnx traces: the task's prediction as a function of plain tensors."""

    def __init__(self, model: nn.Module, spec: GraphSpec):
        super().__init__()
        self.model, self.spec = model, spec

    def forward(self, *inputs: Tensor) -> Tensor:
        return self.spec.run(self.model, *inputs)


def example_inputs(model: nn.Module, spec: GraphSpec, batch: int = 3, time: int = 6) -> tuple[Tensor, ...]:
    """Inputs of the right dtype and feature size for tracing; lengths differ per row so the
    traced graph keeps the masking (sizes met at run time are never these)."""
    hp = model.hparams
    lengths = torch.arange(time, time - batch, -1).clamp(min=1)  # -> (B,): 6, 5, 4
    if type(model).__name__ == "Forecaster":
        return (torch.randn(batch, hp.lookback, hp.num_inputs),)
    if hp.get("vocab_size"):
        ids = torch.randint(1, hp.vocab_size, (batch, time))
        return ids.masked_fill(torch.arange(time)[None] >= lengths[:, None], hp.pad_id), lengths
    features = hp.get("num_features")
    x = torch.randn(batch, time, features)
    return (x, lengths) if spec.inputs == ("x", "lengths") else (x,)
