"""Gradient norm against distance: how strongly the loss still reaches an input step k steps
before a row's last step. A plain RNN's gradient fades with distance (vanishing gradients); an
LSTM's forget gate keeps it alive. Works for any task whose module holds a recurrent encoder."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from seqtasks.reports.document import Figure, Section, Table, Text, figure_png, plt
from seqtasks.reports.registry import EvalContext, recurrent_encoder

MAX_ROWS = 64


def gradient_by_distance(model: torch.nn.Module, batch, direction: str | None = "forward") -> np.ndarray:
    """Mean L2 norm of d(loss)/d(encoder input at step t), by distance -> (T,), NaN where no row
    reaches that distance; the loss is the task's `model_step`. `forward`: the distance counts back
    from each row's last valid step. `backward` (a bidirectional encoder's second half): the loss
    reaches the input through the backward direction alone (the forward half of the encoder's
    outputs is detached) and the distance counts from the first step, where that direction ends.
    For a bidirectional encoder `forward` likewise detaches the backward half; None detaches
    nothing and counts back from the last step (both directions together)."""
    encoder = recurrent_encoder(model)
    caught = {}

    def make_leaf(module, args):
        caught["x"] = args[0].detach().requires_grad_(True)  # (B, T, F)
        caught["lengths"] = args[1]
        return (caught["x"], *args[1:])

    def one_direction(module, args, result):
        H, forward = encoder.hidden_size, direction == "forward"
        def half(t):  # keeps the gradient of this direction's H features only
            mine = (torch.arange(t.shape[-1], device=t.device) < H) == forward
            return torch.where(mine, t, t.detach())
        return tuple(half(t) for t in result)  # (outputs, summary)

    handles = [encoder.register_forward_pre_hook(make_leaf)]
    if direction and getattr(encoder, "bidirectional", False):
        handles.append(encoder.register_forward_hook(one_direction))
    try:
        model.model_step(batch).backward()
    finally:
        for handle in handles:
            handle.remove()
        model.zero_grad(set_to_none=True)
    norms = caught["x"].grad.norm(dim=-1)  # -> (B, T)
    lengths = caught["lengths"].cpu()
    T = norms.shape[1]
    steps = torch.arange(T)[None, :]
    distance = steps.expand(len(lengths), T) if direction == "backward" else lengths[:, None] - 1 - steps
    distance = torch.where(steps < lengths[:, None], distance, -1)  # -> (B, T), -1 on padding
    means = np.full(T, np.nan)
    for d in range(T):
        hit = distance == d
        if hit.any():
            means[d] = float(norms[hit].mean())
    return means


def gradient_curves(ctx: EvalContext) -> dict[str, np.ndarray] | None:
    """gradient_by_distance of each direction of the encoder over the loader's last 64 test rows
    (the longest when it buckets by length); None when the task has no encoder."""
    model = ctx.run.model
    encoder = recurrent_encoder(model)
    if encoder is None or ctx.loader is None:
        return None
    batch = ctx.batch(ctx.rows[-MAX_ROWS:])
    directions = ("forward", "backward") if getattr(encoder, "bidirectional", False) else ("forward",)
    return {d: gradient_by_distance(model.cpu().eval(), batch, d) for d in directions}


AXIS = {"forward": "steps before the last input step", "backward": "steps after the first input step"}


def _cell(means: np.ndarray, d: int) -> str:
    return f"{means[d]:.3e}" if d < len(means) and not np.isnan(means[d]) else "-"


def gradient_section(ctx: EvalContext) -> Section | None:
    """Figure and table of the gradient norm by distance, over up to 64 test rows; a bidirectional
    encoder's two directions are drawn apart, each by distance from where it ends."""
    curves = gradient_curves(ctx)
    if curves is None:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for direction, means in curves.items():
        reached = np.flatnonzero(~np.isnan(means))
        ax.semilogy(reached, means[reached], marker="o", markersize=3,
                    label=f"{direction}: {AXIS[direction]}" if len(curves) > 1 else None)
    ax.set_xlabel("distance (steps)" if len(curves) > 1 else AXIS["forward"])
    ax.set_ylabel("mean |d loss / d input|")
    ax.grid(alpha=0.3, which="both")
    if len(curves) > 1:
        ax.legend(fontsize=8)
    longest = max(int(np.flatnonzero(~np.isnan(m)).max()) for m in curves.values())
    shown = sorted({int(d) for d in np.unique(np.geomspace(1, longest + 1, 8).astype(int) - 1)})
    header = ["steps from the end"] + ([f"{d} direction" for d in curves] if len(curves) > 1
                                       else ["gradient norm"])
    table = Table(header, [[str(d)] + [_cell(m, d) for m in curves.values()] for d in shown])
    both = (" A bidirectional encoder reads each row twice: the forward direction ends at the last "
            "step, the backward direction at the first, so each curve counts distance from its own "
            "end (the loss reaches the input through that direction alone). Drawn together by "
            "distance from the last step they would make a U." if len(curves) > 1 else "")
    text = Text(f"Loss of {min(len(ctx.rows), MAX_ROWS)} test rows back-propagated to the encoder's "
                "inputs (eval mode, no dropout). A curve that drops by orders of magnitude means "
                "distant steps barely move the loss: vanishing gradients." + both)
    data = {direction: {str(d): float(m[d]) for d in np.flatnonzero(~np.isnan(m))}
            for direction, m in curves.items()}
    return Section("Gradient by distance", [text, Figure("gradient_by_distance", figure_png(fig),
                                                         "gradient norm by distance"), table],
                   key="gradient_by_distance", data=data["forward"] if len(curves) == 1 else data)


def compare_gradients_section(groups: list[tuple[str, list[EvalContext]]]) -> Section | None:
    """Each group's gradient-by-distance curve (mean over its runs) on one log axis: where a plain
    RNN's curve falls and an LSTM's stays, the gradient vanishes for the RNN only."""
    curves = {label: [c["forward"] for c in map(gradient_curves, contexts) if c is not None]
              for label, contexts in groups}
    curves = {label: c for label, c in curves.items() if c}
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.4))
    data = {}
    for label, runs in curves.items():
        steps = max(len(c) for c in runs)
        padded = np.stack([np.pad(c, (0, steps - len(c)), constant_values=np.nan) for c in runs])
        with warnings.catch_warnings():  # distances no run reaches stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(padded, axis=0)
        reached = np.flatnonzero(~np.isnan(mean))
        ax.semilogy(reached, mean[reached], marker="o", markersize=3, label=label)
        data[label] = {str(d): float(mean[d]) for d in reached}
    ax.set_xlabel(AXIS["forward"])
    ax.set_ylabel("mean |d loss / d input|")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return Section("Gradient by distance", [
        Text("Test loss back-propagated to each encoder input step (the first 64 test rows in "
             "loader order, the longest when batches are length-bucketed; mean over each group's runs), "
             "through the forward direction (a bidirectional encoder's backward half is detached)."),
        Figure("gradient_by_distance", figure_png(fig), "gradient norm by distance, per group")],
        key="gradient_by_distance", data=data)
