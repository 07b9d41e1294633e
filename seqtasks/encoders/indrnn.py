"""IndRNN (Li et al. 2018, "Independently Recurrent Neural Network"): h_t = relu(W x_t + u * h_{t-1}
+ b) with one recurrent weight per unit (u is a vector, * is element-wise). A unit's gradient over
k steps is a product of k factors u * relu'(.), so bounding |u| <= 2^(1/T) keeps it from
exploding over T steps, and starting the top layer's |u| at >= 2^(-1/T) keeps it from vanishing:
the plain RNN's vanishing gradient, fixed without gates."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from seqtasks.encoders.base import SequenceEncoder, run_layers, scripted
from seqtasks.values import check_positive_int


def relu_recurrence(drive: Tensor, u: Tensor) -> Tensor:
    """h_t = relu(d_t + u * h_{t-1}), h_0 = 0, step by step with autograd: drive (B, T, H) and u (H,)
    -> (B, T, H); the reference `IndRNNRecurrence` must equal, and the loop an ONNX export keeps."""
    h = torch.zeros_like(drive[:, 0])
    outs: list[Tensor] = []
    for t in range(drive.shape[1]):
        h = torch.relu(drive[:, t] + u * h)
        outs.append(h)
    return torch.stack(outs, 1)


class IndRNNRecurrence(torch.autograd.Function):
    """h_t = relu(d_t + u * h_{t-1}), h_0 = 0, over drive d (B, T, H) and weights u (H,) -> h (B, T, H).

    Both loops over T run outside autograd: forward keeps only h, and backward applies the chain
    rule by hand, dL/dd_t = (dL/dh_t + u * dL/dd_{t+1}) * [h_t > 0], so a step costs a few (B, H)
    operations instead of an autograd node each (`seqtasks benchmark --sections encoder_family`
    has the figures). Exact: the same products and masks autograd would form."""

    @staticmethod
    def forward(ctx, drive: Tensor, u: Tensor) -> Tensor:
        steps = drive.transpose(0, 1).contiguous()  # -> (T, B, H): each step a contiguous slice
        h = torch.empty_like(steps)
        prev = steps.new_zeros(steps.shape[1:])
        for t in range(steps.shape[0]):
            prev = h[t] = torch.addcmul(steps[t], u, prev).relu_()
        ctx.save_for_backward(h, u)
        return h.transpose(0, 1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_h: Tensor) -> tuple[Tensor, Tensor]:
        h, u = ctx.saved_tensors  # h (T, B, H)
        grad_h = grad_h.transpose(0, 1)
        grad_drive = torch.empty_like(h)
        carry = h.new_zeros(h.shape[1:])  # dL/dd_{t+1} * u: what h_t passes back from step t+1
        for t in range(h.shape[0] - 1, -1, -1):
            carry = grad_drive[t] = (grad_h[t] + carry) * (h[t] > 0)
            carry = carry * u
        grad_u = (grad_drive[1:] * h[:-1]).sum((0, 1))  # step 0 saw h_0 = 0
        return grad_drive.transpose(0, 1), grad_u


class IndRNNEncoder(SequenceEncoder):
    """IndRNN layers behind `SequenceEncoder`. `memory_steps` (T above) sets the bound on |u| and
    the initialization from the paper's adding-problem setup: u ~ U(0, 2^(1/T)) in lower layers,
    u ~ U(2^(-1/T), 2^(1/T)) in the top layer. The bound is applied in every forward pass (a clamp),
    so it holds whatever the optimizer does. Input weights start small (N(0, 0.001^2), zero bias,
    as public IndRNN adding-problem code does): with u near 1 a unit sums its drive over T steps,
    and torch's default Linear init made the adding problem's train loss 2.5e4 after one epoch
    at T = 1000."""

    exports_any_length = True  # under a trace the recurrence runs as a scripted loop (ONNX Loop)

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
        for proj in self.proj:
            nn.init.normal_(proj.weight, std=0.001)
            nn.init.zeros_(proj.bias)
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
        if torch.jit.is_tracing():  # exporting: a trace cannot hold the autograd Function's loop
            return scripted(relu_recurrence)(drive, u)
        return IndRNNRecurrence.apply(drive, u)

    def extra_repr(self) -> str:
        return f"memory_steps={self.memory_steps}, |u| <= {self.max_recurrent:.5f}, " \
               f"output_dim={self.output_dim}"
