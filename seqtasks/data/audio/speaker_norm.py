"""Per-speaker standardization of feature frames (per-speaker CMVN, as Kaldi applies it by default):
each speaker's frames are shifted and scaled with that speaker's own mean and standard deviation
per feature. It removes much of a voice's and a microphone's colour, yet keeps each word's own
spectral shape, which per-utterance mean removal takes away from a one-word clip."""

from __future__ import annotations

import torch


def speaker_key(speaker: str, split: str) -> str:
    """Whose statistics a row uses: its speaker, or, for files without a speaker name, all the
    unnamed files of its split taken together."""
    return speaker or f"<unnamed {split}>"


def speaker_statistics(frames: list[torch.Tensor], keys: list[str]) -> dict[str, tuple[torch.Tensor, ...]]:
    """Frames [(T_i, F)] and one key each -> {key: (mean (F,), std (F,))} over all that key's frames.
    Labels are never read: a new speaker's statistics come from its audio alone."""
    grouped: dict[str, list[torch.Tensor]] = {}
    for f, key in zip(frames, keys, strict=True):
        grouped.setdefault(key, []).append(f)
    stats = {}
    for key, group in grouped.items():
        stacked = torch.cat(group)  # (N_frames, F)
        stats[key] = stacked.mean(0), stacked.std(0, correction=0).clamp_min(1e-5)
    return stats
