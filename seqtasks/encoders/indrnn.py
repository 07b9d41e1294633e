"""IndRNN (Li et al. 2018, "Independently Recurrent Neural Network"): h_t = relu(W x_t + u * h_{t-1}
+ b) with one recurrent weight per unit (u is a vector, * is element-wise). A unit's gradient over
k steps is a product of k factors u * relu'(.), so bounding |u| <= 2^(1/T) keeps it from
exploding over T steps, and starting the top layer's |u| at >= 2^(-1/T) keeps it from vanishing:
the plain RNN's vanishing gradient, fixed without gates."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqtasks.encoders.base import SequenceEncoder, run_layers
from seqtasks.values import check_positive_int


class IndRNNEncoder(SequenceEncoder):
    """IndRNN layers behind `SequenceEncoder`. `memory_steps` (T above) sets the bound on |u| and
    the initialization from the paper's adding-problem setup: u ~ U(0, 2^(1/T)) in lower layers,
    u ~ U(2^(-1/T), 2^(1/T)) in the top layer. The bound is applied in every forward pass (a clamp),
    so it holds whatever the optimizer does."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 2, bidirectional: bool = False,
                 dropout: float = 0.0, memory_steps: int = 100):
        super().__init__(input_size, hidden_size, num_layers, bidirectional, dropout)
        check_positive_int("memory_steps", memory_steps)
        self.memory_steps = memory_steps
        self.max_recurrent = 2.0 ** (1.0 / memory_steps)
        count = num_layers * self.directions
        self.proj = nn.ModuleList(nn.Linear(input_size if i // self.directions == 0 else self.output_dim,
                                            hidden_size) for i in range(count))
        self.recurrent = nn.ParameterList(nn.Parameter(torch.empty(hidden_size)) for _ in range(count))
        for i, u in enumerate(self.recurrent):
            top = i // self.directions == num_layers - 1
            nn.init.uniform_(u, 2.0 ** (-1.0 / memory_steps) if top else 0.0, self.max_recurrent)

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        self._check_inputs(x, lengths)
        outputs, finals, _ = run_layers(self, x, lengths, self._layer)
        return outputs, self._summary(finals)

    def _layer(self, layer: int, reverse: bool, inp: Tensor) -> Tensor:
        index = layer * self.directions + int(reverse)
        drive = self.proj[index](inp)  # W x_t + b for every step at once -> (B, T, H)
        u = self.recurrent[index].clamp(-self.max_recurrent, self.max_recurrent)
        h, outs = drive.new_zeros(drive.shape[0], drive.shape[2]), []
        for t in range(drive.shape[1]):
            h = torch.relu(drive[:, t] + u * h)
            outs.append(h)
        return torch.stack(outs, 1)

    def extra_repr(self) -> str:
        return f"memory_steps={self.memory_steps}, |u| <= {self.max_recurrent:.5f}, " \
               f"output_dim={self.output_dim}"
