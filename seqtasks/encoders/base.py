"""The one encoder interface, and the loop over layers and directions that encoders running a whole
sequence per call share (torch's fused kernels on the CPU, the scan encoders)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import torch
from torch import Tensor, nn

from seqtasks.values import check_fraction, check_positive_int


class SequenceEncoder(nn.Module):
    """`forward(x (B, T, F), lengths (B,)) -> (outputs (B, T, D), summary (B, D))` with D =
    `output_dim`: outputs are exact zeros on padded steps, the summary is the top layer's state
    after each row's last valid step (forward, then backward when bidirectional)."""

    has_gates = False  # forward(..., return_gates=True) gives the top layer's gates
    exports_any_length = False  # a trace of forward keeps T free (no Python loop over time in it)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            check_positive_int(name, value)
        check_fraction("dropout", dropout)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bidirectional, self.dropout = bool(bidirectional), float(dropout)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_dim(self) -> int:
        """Feature size of `outputs` and `summary`: `hidden_size * directions`."""
        return self.hidden_size * self.directions

    def _check_inputs(self, x: Tensor, lengths: Tensor) -> None:
        if torch.jit.is_tracing() or torch.compiler.is_exporting():  # a graph holds no checks (export)
            return
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must be (B, T, {self.input_size}), got {tuple(x.shape)}")
        B, T, F = x.shape
        if lengths.dim() != 1 or lengths.shape[0] != B:
            raise ValueError(f"lengths must be ({B},) to match x, got {tuple(lengths.shape)}")
        if lengths.dtype.is_floating_point or lengths.dtype.is_complex:
            raise ValueError(f"lengths must hold integers, got {lengths.dtype}")
        if int(lengths.min()) < 1 or int(lengths.max()) > T:
            raise ValueError(f"lengths must lie in [1, T={T}], got {lengths.tolist()}")

    def _summary(self, finals: Tensor) -> Tensor:
        """The top layer's final states (dirs, B, H) -> (B, dirs * H), forward first."""
        return finals.permute(1, 0, 2).reshape(finals.shape[1], -1)


@functools.cache
def scripted(fn: Callable) -> Callable:
    """`fn` compiled by TorchScript, for a loop over time under `torch.jit.trace` (ONNX export): a
    trace unrolls a Python loop at the example's length, a scripted loop becomes ONNX's Loop, so
    the exported graph takes any T. (torch.onnx's TorchScript path, which this serves, is itself
    deprecated; its warning about torch.jit.script is silenced.)"""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*deprecated", category=FutureWarning)
        return torch.jit.script(fn)


LayerFn = Callable[[int, bool, Tensor], Tensor]  # (layer, reverse, inputs (B, T, F)) -> (B, T, H)


def run_layers(encoder: SequenceEncoder, x: Tensor, lengths: Tensor, layer: LayerFn):
    """Runs `layer` over every layer and direction of a padded batch -> (outputs (B, T, D) zero on
    padding, the top layer's final states (dirs, B, H), the top layer's inputs (B, T, F')).

    The reverse direction sees each row reversed within its length, padding left at the end, so a
    causal layer (each step reads only earlier steps) never mixes padding into a valid step."""
    B, T, _ = x.shape
    lengths = lengths.to(x.device)
    steps = torch.arange(T, device=x.device)
    valid = (steps[None, :] < lengths[:, None])[..., None]  # -> (B, T, 1)
    flip = torch.where(valid[..., 0], lengths[:, None] - 1 - steps[None, :], steps[None, :])[..., None]
    layer_in = x.masked_fill(~valid, 0.0)  # NaN or junk in padding stays out
    for index in range(encoder.num_layers):
        top_in, outs, finals = layer_in, [], []
        for reverse in (False, True)[: encoder.directions]:
            inp = layer_in.gather(1, flip.expand_as(layer_in)) if reverse else layer_in
            out = layer(index, reverse, inp)  # -> (B, T, H)
            if reverse:
                out = out.gather(1, flip.expand_as(out))
                finals.append(out[:, 0])  # the reverse direction ends at t = 0
            else:
                last = (lengths - 1)[:, None, None].expand(B, 1, out.shape[-1])
                finals.append(out.gather(1, last)[:, 0])  # forward ends at t = length - 1
            outs.append(out)
        layer_in = torch.cat(outs, -1).masked_fill(~valid, 0.0)  # -> (B, T, D)
        if encoder.training and encoder.dropout > 0 and index < encoder.num_layers - 1:
            layer_in = nn.functional.dropout(layer_in, encoder.dropout)
    return layer_in, torch.stack(finals), top_in
