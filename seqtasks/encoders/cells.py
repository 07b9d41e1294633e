"""Single-step recurrent cells written out by hand, one time step at a time.

Every cell takes the weights in torch's own layout (``weight_ih`` is ``[G*H, in]``,
``weight_hh`` is ``[G*H, H]``, gate blocks stacked in torch's order), so the results
match ``torch.nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` to floating-point rounding.

The LSTM cell is told with the four gates of the project's story; see :func:`lstm_cell`.
"""

from __future__ import annotations

import torch
from torch import Tensor

# --- the four gates of the LSTM story --------------------------------------------------


def learn_gate(candidate: Tensor, ignore: Tensor) -> Tensor:
    """Learn gate: decide what new information goes into long-term memory.

    ``candidate`` (g = tanh(W x + U h + b)) is the new information built from the current
    input and the short-term memory; ``ignore`` (i = sigmoid(...), torch's input gate) is
    the ignore factor that scales it down element-wise.  Returns ``learned = i * g``.
    """
    return ignore * candidate  # -> (B, H)


def forget_gate(forget: Tensor, long_term: Tensor) -> Tensor:
    """Forget gate: decide how much of the old long-term memory is kept.

    ``forget`` (f = sigmoid(...), torch's forget gate) scales the previous cell state
    ``long_term`` (c) element-wise.  Returns ``kept = f * c``.
    """
    return forget * long_term  # -> (B, H)


def remember_gate(kept: Tensor, learned: Tensor) -> Tensor:
    """Remember gate: write the new long-term memory.

    Adds what the forget gate kept to what the learn gate learned:
    ``c' = kept + learned`` (torch's cell-state update ``c' = f * c + i * g``).
    """
    return kept + learned  # -> (B, H)


def use_gate(use: Tensor, long_term: Tensor) -> Tensor:
    """Use gate: read the new long-term memory out into the new short-term memory.

    ``use`` (o = sigmoid(...), torch's output gate) scales the squashed new cell state:
    ``h' = o * tanh(c')``.  ``h'`` is both the step's output and the next hidden state.
    """
    return use * torch.tanh(long_term)  # -> (B, H)


# --- cells -----------------------------------------------------------------------------


def _affine(x_t: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor):
    """Input and hidden projections, each with its bias: ``(x W_ih^T + b_ih, h W_hh^T + b_hh)``."""
    return x_t @ w_ih.T + b_ih, h @ w_hh.T + b_hh  # -> (B, G*H), (B, G*H)


def lstm_cell(
    x_t: Tensor,
    short_term: Tensor,
    long_term: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor,
    b_hh: Tensor,
) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """One LSTM step, told as the project's four gates.

    Vocabulary: the cell state ``c`` is the *long-term memory*, the hidden state ``h`` is
    the *short-term memory*.  The weight rows are stacked in torch's gate order
    ``i, f, g, o`` and map onto the story like this:

    ========================  =====================  ===================================
    story                     usual LSTM name        computation
    ========================  =====================  ===================================
    learn gate (candidate)    cell candidate ``g``   ``g = tanh(W_g x + U_g h + b_g)``
    ignore factor             input gate ``i``       ``i = sigmoid(W_i x + U_i h + b_i)``
    learn gate (output)       ``i * g``              ``learned = i * g``
    forget gate               forget gate ``f``      ``kept = f * c``
    remember gate             cell-state update      ``c' = kept + learned``
    use gate                  output gate ``o``      ``h' = o * tanh(c')``
    ========================  =====================  ===================================

    Args:
        x_t: input at this step, ``(B, F)``.
        short_term: previous hidden state ``h``, ``(B, H)``.
        long_term: previous cell state ``c``, ``(B, H)``.
        w_ih, w_hh, b_ih, b_hh: torch-layout weights, ``(4H, F)``, ``(4H, H)``, ``(4H,)``.

    Returns:
        ``(h', c', gates)`` where ``gates`` holds what each of the four gates produced, each
        ``(B, H)``: ``learn`` (``i * g``, what is learned), ``forget`` (``f``), ``remember``
        (``c'``, the new long-term memory) and ``use`` (``o``).
    """
    from_input, from_memory = _affine(x_t, short_term, w_ih, w_hh, b_ih, b_hh)
    i_pre, f_pre, g_pre, o_pre = (from_input + from_memory).chunk(4, dim=-1)  # 4 x (B, H)
    candidate = torch.tanh(g_pre)
    ignore, forget, use = torch.sigmoid(i_pre), torch.sigmoid(f_pre), torch.sigmoid(o_pre)

    learned = learn_gate(candidate, ignore)
    kept = forget_gate(forget, long_term)
    new_long_term = remember_gate(kept, learned)  # -> (B, H)
    new_short_term = use_gate(use, new_long_term)  # -> (B, H)
    gates = {"learn": learned, "forget": forget, "remember": new_long_term, "use": use}
    return new_short_term, new_long_term, gates


def rnn_cell(
    x_t: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor,
    b_hh: Tensor,
    nonlinearity: str = "tanh",
) -> Tensor:
    """One Elman RNN step: ``h' = act(W x + b_ih + U h + b_hh)``, act = tanh or relu."""
    from_input, from_memory = _affine(x_t, h, w_ih, w_hh, b_ih, b_hh)
    pre = from_input + from_memory  # -> (B, H)
    return torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)


def gru_cell(
    x_t: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor
) -> Tensor:
    """One GRU step in torch's formulation (gate order r, z, n).

    ``r`` (reset) and ``z`` (update) are sigmoids; the candidate is
    ``n = tanh(W_n x + b_in + r * (U_n h + b_hn))`` and ``h' = (1 - z) * n + z * h``.
    """
    from_input, from_memory = _affine(x_t, h, w_ih, w_hh, b_ih, b_hh)
    x_r, x_z, x_n = from_input.chunk(3, dim=-1)  # 3 x (B, H)
    h_r, h_z, h_n = from_memory.chunk(3, dim=-1)  # 3 x (B, H)
    reset = torch.sigmoid(x_r + h_r)
    update = torch.sigmoid(x_z + h_z)
    candidate = torch.tanh(x_n + reset * h_n)
    return (1 - update) * candidate + update * h  # -> (B, H)
