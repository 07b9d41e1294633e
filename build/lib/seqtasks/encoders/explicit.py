"""Readable cell-by-cell recurrent layers that are drop-in twins of torch's fused ones.

``ExplicitRNN``, ``ExplicitLSTM`` and ``ExplicitGRU`` register exactly the parameters of
``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (``weight_ih_l{k}``, ``weight_hh_l{k}``,
``bias_ih_l{k}``, ``bias_hh_l{k}`` and their ``_reverse`` twins, same shapes, same
initialisation), so state dicts move freely between the two.  They take a padded batch
plus ``lengths`` instead of a packed sequence, loop over time in Python and leave a
row's state untouched (and emit zeros) on its padded steps.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as fn

from seqtasks.encoders.cells import gru_cell, lstm_cell, rnn_cell

State = tuple[Tensor, ...]  # (h,) for RNN and GRU, (h, c) for LSTM


def valid_mask(lengths: Tensor, total_length: int, device: torch.device) -> Tensor:
    """Boolean mask of the real (non-padded) steps: ``mask[b, t] = t < lengths[b]``."""
    steps = torch.arange(total_length, device=device)  # -> (T,)
    return steps.unsqueeze(0) < lengths.to(device).unsqueeze(1)  # -> (B, T)


class _ExplicitRecurrent(nn.Module):
    """Shared machinery: torch-named parameters, layers, directions and the time loop.

    Subclasses set ``gate_count`` (weight blocks per hidden unit), ``state_count``
    (1 for ``h``, 2 for ``(h, c)``) and implement :meth:`cell`.
    """

    gate_count = 1
    state_count = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bidirectional, self.dropout = num_layers, bidirectional, dropout
        self.suffixes = ["", "_reverse"] if bidirectional else [""]
        rows = self.gate_count * hidden_size
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * len(self.suffixes)
            for suffix in self.suffixes:  # same registration order as torch
                for name, shape in [
                    ("weight_ih", (rows, layer_in)),
                    ("weight_hh", (rows, hidden_size)),
                    ("bias_ih", (rows,)),
                    ("bias_hh", (rows,)),
                ]:
                    param = nn.Parameter(torch.empty(shape))
                    self.register_parameter(f"{name}_l{layer}{suffix}", param)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise like torch: every parameter uniform in ``[-1/sqrt(H), 1/sqrt(H)]``."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            nn.init.uniform_(param, -bound, bound)

    def weights(self, layer: int, suffix: str) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of one layer and direction."""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return tuple(getattr(self, f"{name}_l{layer}{suffix}") for name in names)

    def cell(self, x_t: Tensor, state: State, weights: tuple[Tensor, ...]):
        """One time step: returns ``(new_state, gates or None)``."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"bidirectional={self.bidirectional}, dropout={self.dropout}"
        )

    def run_direction(
        self, x: Tensor, valid: Tensor, layer: int, suffix: str, record: bool = False
    ) -> tuple[Tensor, State, dict[str, Tensor] | None]:
        """Run one layer in one direction over the padded batch ``x`` of shape (B, T, in).

        The reverse direction walks t = T-1..0; since padded steps leave the (zero)
        initial state unchanged, each row effectively starts at its last valid step.
        """
        B, T, _ = x.shape
        weights = self.weights(layer, suffix)
        reverse = suffix == "_reverse"
        state = tuple(x.new_zeros(B, self.hidden_size) for _ in range(self.state_count))
        outputs: list[Tensor] = []
        recorded: list[dict[str, Tensor]] = []
        for t in range(T - 1, -1, -1) if reverse else range(T):
            keep = valid[:, t].unsqueeze(1)  # -> (B, 1), False on padded steps
            new_state, gates = self.cell(x[:, t], state, weights)
            state = tuple(  # padded steps keep the old state
                torch.where(keep, new, old) for new, old in zip(new_state, state, strict=True)
            )
            outputs.append(torch.where(keep, new_state[0], 0.0))  # -> (B, H)
            if record and gates is not None:
                recorded.append({name: torch.where(keep, g, 0.0) for name, g in gates.items()})
        if reverse:  # back to time order
            outputs.reverse()
            recorded.reverse()
        out = torch.stack(outputs, dim=1)  # -> (B, T, H)
        if not recorded:
            return out, state, None
        stacked = {name: torch.stack([r[name] for r in recorded], dim=1) for name in recorded[0]}
        return out, state, stacked  # gates: name -> (B, T, H)

    def run(
        self, x: Tensor, lengths: Tensor, record: bool = False
    ) -> tuple[Tensor, State, dict[str, Tensor] | None]:
        """All layers and directions; returns ``(outputs, final states, top-forward gates)``.

        Final states are stacked like torch's ``h_n``: ``(num_layers * dirs, B, H)``.
        """
        B, T, F = x.shape
        valid = valid_mask(lengths, T, x.device)  # -> (B, T)
        layer_input = torch.where(valid.unsqueeze(-1), x, 0.0)  # padding never enters
        finals: list[State] = []
        gates = None
        for layer in range(self.num_layers):
            top = layer == self.num_layers - 1
            per_direction = []
            for suffix in self.suffixes:
                record_here = record and top and suffix == ""  # top layer, forward
                out, final, found = self.run_direction(
                    layer_input, valid, layer, suffix, record_here
                )
                per_direction.append(out)
                finals.append(final)
                gates = found if record_here else gates
            layer_input = torch.cat(per_direction, dim=-1)  # -> (B, T, H * dirs)
            if not top and self.dropout > 0:
                layer_input = fn.dropout(layer_input, self.dropout, self.training)
        stacked = tuple(torch.stack([f[i] for f in finals]) for i in range(self.state_count))
        return layer_input, stacked, gates


class ExplicitRNN(_ExplicitRecurrent):
    """Cell-by-cell twin of ``nn.RNN``: ``forward(x, lengths) -> (outputs, h_n)``."""

    def __init__(self, *args, nonlinearity: str = "tanh", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.nonlinearity = nonlinearity

    def cell(self, x_t: Tensor, state: State, weights: tuple[Tensor, ...]):
        return (rnn_cell(x_t, state[0], *weights, nonlinearity=self.nonlinearity),), None

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        outputs, (h_n,), _ = self.run(x, lengths)
        return outputs, h_n  # -> (B, T, D), (num_layers * dirs, B, H)


class ExplicitGRU(_ExplicitRecurrent):
    """Cell-by-cell twin of ``nn.GRU``: ``forward(x, lengths) -> (outputs, h_n)``."""

    gate_count = 3

    def cell(self, x_t: Tensor, state: State, weights: tuple[Tensor, ...]):
        return (gru_cell(x_t, state[0], *weights),), None

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        outputs, (h_n,), _ = self.run(x, lengths)
        return outputs, h_n  # -> (B, T, D), (num_layers * dirs, B, H)


class ExplicitLSTM(_ExplicitRecurrent):
    """Cell-by-cell twin of ``nn.LSTM`` built on :func:`~seqtasks.encoders.cells.lstm_cell`.

    ``forward(x, lengths) -> (outputs, (h_n, c_n))``; with ``return_gates=True`` a third
    item holds the top layer's forward-direction gate activations, each ``(B, T, H)``.
    """

    gate_count = 4
    state_count = 2

    def cell(self, x_t: Tensor, state: State, weights: tuple[Tensor, ...]):
        short_term, long_term, gates = lstm_cell(x_t, state[0], state[1], *weights)
        return (short_term, long_term), gates

    def forward(self, x: Tensor, lengths: Tensor, *, return_gates: bool = False):
        outputs, (h_n, c_n), gates = self.run(x, lengths, record=return_gates)
        if return_gates:
            return outputs, (h_n, c_n), gates
        return outputs, (h_n, c_n)  # -> (B, T, D), 2 x (num_layers * dirs, B, H)
