"""Pooling: turns encoder outputs [B, T, D] into one vector per row [B, D], ignoring padding."""

from __future__ import annotations

import torch
from torch import nn

POOLINGS = ("last", "mean", "max", "attention")


class SequencePooling(nn.Module):
    """`last`: the encoder's summary; `mean`/`max`: over valid steps; `attention`: a learned
    query scores each step, softmax over valid steps weights the sum."""

    def __init__(self, kind: str, dim: int):
        super().__init__()
        if kind not in POOLINGS:
            raise ValueError(f"task.pooling='{kind}' is not one of {list(POOLINGS)}")
        self.kind = kind
        self.score = nn.Sequential(nn.Linear(dim, dim), nn.Tanh(), nn.Linear(dim, 1)) \
            if kind == "attention" else None

    def forward(self, outputs, summary, lengths):
        B, T, D = outputs.shape
        if self.kind == "last":
            return summary
        mask = torch.arange(T, device=outputs.device)[None, :] < lengths.to(outputs.device)[:, None]
        if self.kind == "mean":
            return outputs.sum(1) / mask.sum(1, keepdim=True)  # padded steps are zero
        if self.kind == "max":
            return outputs.masked_fill(~mask[..., None], float("-inf")).amax(1)  # -> (B, D)
        scores = self.score(outputs).squeeze(-1).masked_fill(~mask, float("-inf"))  # (B, T)
        return torch.einsum("bt,btd->bd", scores.softmax(-1), outputs)
