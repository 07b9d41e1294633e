"""Recurrences whose gates read only the current input, so training runs as a parallel scan over
time: minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"), computed in log space
(Heinsen 2023). Each is h_t = a_t * h_{t-1} + b_t with a_t, b_t from x_t alone, so
h_t = A_t * sum_{s<=t} b_s / A_s with A_t = prod_{s<=t} a_s: a cumulative sum and a
log-cumsum-exp over T instead of T dependent steps. `impl="sequential"` runs the same equations one
step at a time: the readable reference (and streaming); `impl="parallel"` (default) composes the
same recurrence in real space by doubling (`linear_scan`), faster than log space on the CPU."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqtasks.encoders.base import SequenceEncoder, run_layers, scripted
from seqtasks.values import check_choice, check_positive_int

SCAN_IMPLS = ("parallel", "log", "sequential")


def g(x: Tensor) -> Tensor:
    """The papers' positive activation for candidates: x + 0.5 for x >= 0, sigmoid(x) below."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x: Tensor) -> Tensor:
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


def linear_scan(a: Tensor, b: Tensor, chunk: int = 64) -> Tensor:
    """h for h_t = a_t * h_{t-1} + b_t, h_0 = 0, from a and b (B, T, H) -> (B, T, H), in real space.

    Within chunks of `chunk` steps, log2(chunk) doubling steps compose (a, b) pairs: after step k
    each position holds the composition of the 2^k steps ending there (Hillis-Steele); the chunks
    are then chained by their final states. Only products of a (in [0, 1] for these cells) and
    sums: nothing overflows, and no exp/log per step (torch's CPU logcumsumexp is the slow part of
    the log-space scan: 211-490 vs 138 ms forward+backward at B 32, T 500, H 128)."""
    B, T, H = a.shape
    # a sequence shorter than a chunk is padded only to the next power of two: ETTh1's 8 segments
    # padded to 64 steps took 599 vs 25 ms forward+backward (B 896, H 128, 1 thread)
    chunk = min(chunk, 1 << max(T - 1, 0).bit_length())
    pad = (-T) % chunk
    a = nn.functional.pad(a, (0, 0, 0, pad), value=1.0).reshape(B, -1, chunk, H)  # -> (B, n, C, H)
    b = nn.functional.pad(b, (0, 0, 0, pad)).reshape(B, -1, chunk, H)
    k = 1
    while k < chunk:
        b = torch.cat([b[:, :, :k], a[:, :, k:] * b[:, :, :-k] + b[:, :, k:]], 2)
        a = torch.cat([a[:, :, :k], a[:, :, k:] * a[:, :, :-k]], 2)  # prefix products within the chunk
        k *= 2
    pieces, h = [b[:, 0]], b[:, 0, -1]
    for j in range(1, a.shape[1]):
        pieces.append(b[:, j] + a[:, j] * h[:, None])
        h = pieces[-1][:, -1]
    return torch.cat(pieces, 1)[:, :T]


def sequential_scan(a: Tensor, b: Tensor) -> Tensor:
    """The same h as `linear_scan`, one step at a time (B, T, H) -> (B, T, H): the readable
    reference, and the loop an ONNX export keeps (`scripted`)."""
    h = torch.zeros_like(b[:, 0])
    outs: list[Tensor] = []
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]  # the recurrence, one step
        outs.append(h)
    return torch.stack(outs, 1)


def log_scan(log_a: Tensor, log_b: Tensor, chunk: int) -> Tensor:
    """log h for h_t = a_t * h_{t-1} + b_t, h_0 = 0, from log a and log b (B, T, H) -> (B, T, H).

    Runs in chunks of `chunk` steps carrying the state, so the cumulative log a within a chunk
    stays small (float32 keeps its precision at T = 1000 and beyond)."""
    pieces, log_h0 = [], None
    for start in range(0, log_a.shape[1], chunk):
        a_star = log_a[:, start:start + chunk].cumsum(1)  # log A_t within the chunk
        terms = log_b[:, start:start + chunk] - a_star
        if log_h0 is not None:  # the carried state enters as b_0 with A_0 = 1
            terms = torch.cat([log_h0[:, None], terms], 1)
        lse = torch.logcumsumexp(terms, 1)
        log_h = a_star + (lse[:, 1:] if log_h0 is not None else lse)
        pieces.append(log_h)
        log_h0 = log_h[:, -1]
    return torch.cat(pieces, 1)


class _ScanEncoder(SequenceEncoder):
    """minGRU / minLSTM layers behind `SequenceEncoder`: one input projection per layer and
    direction (`gate_count` gates plus the candidate), then the scan."""

    gate_count: int
    has_gates = True
    exports_any_length = True  # under a trace the scan runs as a scripted loop (ONNX Loop)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0, impl: str = "parallel", forget_bias: float = 1.0, chunk: int = 64):
        super().__init__(input_size, hidden_size, num_layers, bidirectional, dropout)
        check_choice("impl", impl, SCAN_IMPLS)
        check_positive_int("chunk", chunk)
        self.impl, self.forget_bias, self.chunk = impl, float(forget_bias), chunk
        self.proj = nn.ModuleList(
            nn.Linear(input_size if layer == 0 else self.output_dim, (self.gate_count + 1) * hidden_size)
            for layer in range(num_layers) for _ in range(self.directions))
        with torch.no_grad():
            for proj in self.proj:  # the first H outputs feed the forget side, the next the learn side
                proj.bias[:hidden_size] += self.forget_bias
                if self.gate_count == 2:
                    proj.bias[hidden_size:2 * hidden_size] -= self.forget_bias

    def forward(self, x: Tensor, lengths: Tensor, *, return_gates: bool = False):
        """(outputs (B, T, D), summary (B, D)), and with `return_gates` the top layer's
        forward-direction gates {name: (B, T, H)} (they depend on the inputs alone)."""
        self._check_inputs(x, lengths)
        outputs, finals, top_in = run_layers(self, x, lengths, self._layer)
        if not return_gates:
            return outputs, self._summary(finals)
        valid = (torch.arange(x.shape[1], device=x.device)[None] < lengths.to(x.device)[:, None])[..., None]
        forget, learn = self.coefficients(*self._projected(-1, False, top_in))  # the scan's own a, b
        gates = {"learn": learn, "forget": forget}
        gates = {name: value.masked_fill(~valid, 0.0) for name, value in gates.items()}
        gates["remember"] = outputs[..., : self.hidden_size]
        return outputs, self._summary(finals), gates

    def _projected(self, layer: int, reverse: bool, inp: Tensor) -> list[Tensor]:
        index = (layer % self.num_layers) * self.directions + int(reverse)
        return list(self.proj[index](inp).chunk(self.gate_count + 1, -1))  # each -> (B, T, H)

    def _layer(self, layer: int, reverse: bool, inp: Tensor) -> Tensor:
        parts = self._projected(layer, reverse, inp)
        if torch.jit.is_tracing():  # exporting: a loop over any T, not one unrolled at the trace's
            return scripted(sequential_scan)(*self.coefficients(*parts))
        if self.impl == "log":
            log_a, log_b = self.log_coefficients(*parts)
            return log_scan(log_a, log_b, self.chunk).exp()
        a, b = self.coefficients(*parts)
        return linear_scan(a, b, self.chunk) if self.impl == "parallel" else sequential_scan(a, b)

    def extra_repr(self) -> str:
        return f"impl={self.impl!r}, output_dim={self.output_dim}"


class MinGRUEncoder(_ScanEncoder):
    """minGRU: z_t = sigmoid(W_z x_t), h~_t = g(W_h x_t), h_t = (1 - z_t) * h_{t-1} + z_t * h~_t.

    In the seed's words: z_t * h~_t is the learn gate (the new candidate, scaled), 1 - z_t is the
    forget gate (tied to it: what is not learned is kept), and the new memory h_t = kept + learned
    is the remember step; there is no separate long-term memory and no use gate (h_t is the
    output). `forget_bias` lowers z's bias at init, so memory starts mostly kept."""

    gate_count = 1

    def coefficients(self, k: Tensor, pre: Tensor) -> tuple[Tensor, Tensor]:
        z = torch.sigmoid(-k)  # the bias of k was raised by forget_bias: z starts low
        return 1 - z, z * g(pre)

    def log_coefficients(self, k: Tensor, pre: Tensor) -> tuple[Tensor, Tensor]:
        return -F.softplus(-k), -F.softplus(k) + log_g(pre)  # log(1 - z), log z + log h~


class MinLSTMEncoder(_ScanEncoder):
    """minLSTM: f_t = sigmoid(W_f x_t), i_t = sigmoid(W_i x_t), h~_t = g(W_h x_t), normalized
    f'_t = f_t / (f_t + i_t), i'_t = i_t / (f_t + i_t), h_t = f'_t * h_{t-1} + i'_t * h~_t.

    In the seed's words: f' is the forget gate (scales the old memory), i' * h~ the learn gate
    (new candidate information scaled by the ignore factor i'), h_t = kept + learned the remember
    step; the cell state and the hidden state are one (no use gate). `forget_bias` is added to
    f's bias and taken from i's at init, as f' depends on their ratio (1.0: f' starts near 0.8,
    memory starts open, as the LSTM's)."""

    gate_count = 2

    def coefficients(self, kf: Tensor, ki: Tensor, pre: Tensor) -> tuple[Tensor, Tensor]:
        # f / (f + i) as sigmoid(log f - log i): both sigmoids can round to 0 (onnxruntime's do for
        # some inputs, giving 0 / 0 = NaN in an exported graph), their log ratio cannot
        diff = F.softplus(-kf) - F.softplus(-ki)  # log i - log f
        return torch.sigmoid(-diff), torch.sigmoid(diff) * g(pre)  # f', i' * h~

    def log_coefficients(self, kf: Tensor, ki: Tensor, pre: Tensor) -> tuple[Tensor, Tensor]:
        diff = F.softplus(-kf) - F.softplus(-ki)  # log i - log f
        return -F.softplus(diff), -F.softplus(-diff) + log_g(pre)  # log f', log i' + log h~
