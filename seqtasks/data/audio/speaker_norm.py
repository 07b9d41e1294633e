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


def speaker_statistics(frames: list[torch.Tensor], keys: list[str], prior: tuple | None = None,
                       prior_frames: float = 0.0) -> dict[str, tuple[torch.Tensor, ...]]:
    """Frames [(T_i, F)] and one key each -> {key: (mean (F,), std (F,))} over all that key's frames.
    Labels are never read: a new speaker's statistics come from its audio alone. With a `prior`
    (mean, std), each speaker's moments are shrunk toward it as if it held `prior_frames` more
    frames (MAP estimate): four digits' worth of speech gives noisy statistics on its own."""
    grouped: dict[str, list[torch.Tensor]] = {}
    for f, key in zip(frames, keys, strict=True):
        grouped.setdefault(key, []).append(f)
    stats = {}
    for key, group in grouped.items():
        stacked = torch.cat(group)  # (N_frames, F)
        mean, var = stacked.mean(0), stacked.var(0, correction=0)
        if prior is not None and prior_frames > 0:
            n, tau = len(stacked), float(prior_frames)
            mean, var = (n * mean + tau * prior[0]) / (n + tau), (n * var + tau * prior[1] ** 2) / (n + tau)
        stats[key] = mean, var.sqrt().clamp_min(1e-5)
    return stats


def speaker_prior(stats: dict[str, tuple[torch.Tensor, ...]], keys: list[str]) -> tuple[torch.Tensor, ...]:
    """The average speaker of `keys` (the training speakers): mean of their means and of their stds."""
    chosen = sorted(set(keys))
    means, stds = torch.stack([stats[k][0] for k in chosen]), torch.stack([stats[k][1] for k in chosen])
    return means.mean(0), stds.mean(0)
