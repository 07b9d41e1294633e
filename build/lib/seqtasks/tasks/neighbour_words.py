"""An auxiliary language-model loss for a recurrent encoder (Rei 2017, "Semi-supervised Multitask
Learning for Sequence Labeling"): the forward direction predicts the next token and the backward
direction the previous one, so every word of a training text teaches the encoder, not only the
label. Only for one layer when bidirectional: in a deeper BiLSTM the top forward state has seen
later words through the lower backward layer."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class NeighbourWordLoss(nn.Module):
    """Cross-entropy of predicting each token's neighbours from the encoder outputs [B, T, D]."""

    def __init__(self, hidden_size: int, vocab_size: int, bidirectional: bool, pad_id: int = 0):
        super().__init__()
        self.hidden_size, self.pad_id = hidden_size, pad_id
        self.next_word = nn.Linear(hidden_size, vocab_size)
        self.previous_word = nn.Linear(hidden_size, vocab_size) if bidirectional else None

    def forward(self, outputs: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """outputs [B, T, D] (forward half first), tokens [B, T] padded with pad_id -> loss."""
        H = self.hidden_size
        # forward state at t predicts token t+1; targets past the end are padding and ignored
        losses = [self._mean_loss(self.next_word(outputs[:, :-1, :H]), tokens[:, 1:])]
        if self.previous_word is not None:
            # backward state at t predicts token t-1, for t inside the text (token t not padding)
            targets = tokens[:, :-1].masked_fill(tokens[:, 1:] == self.pad_id, self.pad_id)
            losses.append(self._mean_loss(self.previous_word(outputs[:, 1:, H:]), targets))
        return torch.stack(losses).mean()

    def _mean_loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """logits [B, T-1, V], targets [B, T-1] -> mean over non-padding targets (0 if none)."""
        total = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=self.pad_id, reduction="sum")
        return total / (targets != self.pad_id).sum().clamp(min=1)
