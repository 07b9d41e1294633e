"""Gates over time for a few test examples. An LSTM's trained weights are loaded into the explicit
(cell-by-cell) encoder, which reports its learn, forget, remember and use gates; minGRU and minLSTM
report theirs directly (learn, forget, remember: their gates read the input alone, and the memory
is the output, so there is no use gate)."""

from __future__ import annotations

import numpy as np
import torch
from lightning_fabric.utilities.apply_func import move_data_to_device

from seqtasks.data.hooks import Describes, LabelsSteps
from seqtasks.encoders import LSTMEncoder, MinGRUEncoder, MinLSTMEncoder
from seqtasks.reports.document import Figure, Section, Table, Text, figure_png, plt
from seqtasks.reports.registry import EvalContext, recurrent_encoder

GATES = {  # name -> (what it does, with the usual LSTM names; colour range, None: symmetric to the data)
    "learn": ("learn gate i*g: the new information learned (input gate i times candidate g)", (-1.0, 1.0)),
    "forget": ("forget gate f: how much of the long-term memory is kept", (0.0, 1.0)),
    "remember": ("remember gate: the new long-term memory c = f*c + i*g (cell state)", None),
    "use": ("use gate o: how much of tanh(long-term memory) becomes the short-term memory "
            "(output gate)", (0.0, 1.0)),
}
SCAN_GATES = {  # minGRU's z and minLSTM's normalized f', i' (seqtasks.encoders.scan)
    "learn": ("learn gate: the new candidate, scaled (z*h~ in minGRU, i'*h~ in minLSTM)", None),
    "forget": ("forget gate: how much of the memory is kept (1 - z in minGRU, f' in minLSTM)", (0.0, 1.0)),
    "remember": ("remember: the new memory h = forget*h + learn, which is also the output", None),
}
MAX_TICK_LABELS = 40


def explicit_twin(encoder: LSTMEncoder) -> LSTMEncoder:
    """The same LSTM, weights included, as the explicit implementation that exposes its gates."""
    twin = LSTMEncoder(encoder.input_size, encoder.hidden_size, encoder.num_layers,
                       encoder.bidirectional, encoder.dropout, impl="explicit")
    twin.load_state_dict(encoder.state_dict())
    return twin.eval()


def encoder_inputs(model: torch.nn.Module, batch) -> tuple[torch.Tensor, torch.Tensor]:
    """The (x [B', T, F], lengths [B']) the model feeds its encoder for `batch`, caught by a hook
    during a normal forward pass, so any task with a recurrent encoder works unchanged (B' is a
    multiple of B when the task runs several sequences per example, e.g. one per channel)."""
    caught = {}

    def catch(module, args):
        caught["x"], caught["lengths"] = args[0].detach(), args[1]

    handle = recurrent_encoder(model).register_forward_pre_hook(catch)
    try:
        with torch.no_grad():
            model.predict_step(move_data_to_device(batch, model.device), 0)
    finally:
        handle.remove()
    return caught["x"], caught["lengths"]


def pick_rows(ctx: EvalContext, count: int) -> list[int]:
    """Positions of `count` test rows spread over the loader's order (short to long when the
    loader buckets by length), skipping the shortest quarter."""
    n = len(ctx.rows)
    return sorted({int(p) for p in np.linspace(n // 4, n - 1, count)})


def top_layer_gates(encoder, x: torch.Tensor, lengths: torch.Tensor):
    """({name: (B, T, H)}, their meanings, where they come from, the explicit LSTM's largest output
    difference to the trained one or None) for an encoder with gates; None for the others."""
    with torch.no_grad():
        if isinstance(encoder, (MinGRUEncoder, MinLSTMEncoder)):
            _, _, gates = encoder(x, lengths, return_gates=True)
            return gates, SCAN_GATES, f"the trained {type(encoder).__name__.removesuffix('Encoder')}", None
        if not isinstance(encoder, LSTMEncoder):
            return None
        outputs, _, gates = explicit_twin(encoder).to(x.device)(x, lengths, return_gates=True)
        gap = float((outputs - encoder(x, lengths)[0]).abs().max())
    return gates, GATES, ("the trained weights loaded into the explicit LSTM (largest output difference "
                          f"to the trained encoder: {gap:.1e})"), gap


def _example_figure(gates: dict, meanings: dict, row: int, steps: int, labels: list[str] | None,
                    title: str) -> bytes:
    fig, axes = plt.subplots(len(meanings), 1, figsize=(10, 1.6 * len(meanings) + 0.6), sharex=True)
    for ax, (name, (meaning, limits)) in zip(axes, meanings.items(), strict=True):
        values = gates[name][row, :steps].T.numpy()  # -> (H, T)
        reach = float(np.abs(values).max()) or 1.0
        low, high = limits or (-reach, reach)
        image = ax.imshow(values, aspect="auto", interpolation="nearest", vmin=low, vmax=high,
                          cmap="RdBu_r" if low < 0 else "viridis")
        ax.set_ylabel(f"{name}\nunit", fontsize=8)
        ax.set_title(meaning, fontsize=8, loc="left")
        fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
    if labels and steps <= MAX_TICK_LABELS:
        axes[-1].set_xticks(range(steps), labels[:steps], rotation=90, fontsize=7)
    axes[-1].set_xlabel("time step")
    fig.suptitle(title, fontsize=9)
    return figure_png(fig)


def gate_section(ctx: EvalContext, examples: int = 3) -> Section | None:
    """Heatmaps (hidden unit x time) of each gate for a few test rows; None for encoders without
    gates (RNN, GRU, IndRNN)."""
    model, datamodule = ctx.run.model, ctx.run.datamodule
    encoder = recurrent_encoder(model)
    if not getattr(encoder, "has_gates", False) or ctx.loader is None:
        return None
    positions = pick_rows(ctx, examples)
    rows = [ctx.rows[p] for p in positions]
    x, lengths = encoder_inputs(model, ctx.batch(rows))
    per_row = x.shape[0] // len(rows)  # sequences per example: keep each example's first
    x, lengths = x[::per_row], lengths[::per_row]
    found = top_layer_gates(encoder, x, lengths)
    if found is None:
        return None
    gates, meanings, source, gap = found
    gates = {name: g.cpu() for name, g in gates.items()}
    texts = datamodule.describe(ctx.split, rows) if isinstance(datamodule, Describes) else [""] * len(rows)
    blocks = [Text(f"Gate activations of the top layer's forward direction, from {source}. Rows are "
                   "hidden units, columns time steps."
                   + (f" The model runs {per_row} sequences per example (e.g. one per channel); the "
                      "first is shown." if per_row > 1 else ""))]
    summary = []
    for k, (row, text) in enumerate(zip(rows, texts, strict=True)):
        steps = int(lengths[k])
        labels = datamodule.step_labels(ctx.split, row) if isinstance(datamodule, LabelsSteps) else None
        title = f"test row {row}" + (f": {text[:90]}" + ("..." if len(text) > 90 else "") if text else "")
        figure = _example_figure(gates, meanings, k, steps, labels, title)
        blocks.append(Figure(f"gates_row{row}", figure, title))
        means = [f"{float(gates[g][k, :steps].mean()):.3f}" for g in meanings]
        summary.append([str(row), str(steps), *means])
    blocks.append(Table(["test row", "steps"] + [f"mean {g}" for g in meanings], summary,
                        caption="Mean activation over units and valid steps"))
    name = type(encoder).__name__.removesuffix("Encoder")
    data = {"rows": rows, "encoder": name} | ({"max_output_gap": gap} if gap is not None else {})
    return Section(f"{name} gates", blocks, key="gates", data=data)
