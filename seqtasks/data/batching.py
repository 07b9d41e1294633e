"""Length-bucketed batching: rows of similar length share a batch, so little padding is computed."""

from __future__ import annotations

import torch
from torch.utils.data import Sampler


class LengthBucketedBatchSampler(Sampler[list[int]]):
    """Yields batches of indices whose lengths are close.

    Shuffled: each epoch permutes the rows (seeded by seed + epoch), sorts them by length inside
    pools of `pool_batches` batches, cuts the pools into batches and shuffles the batch order.
    Not shuffled: rows sorted by length. `bucket=False` gives plain (shuffled) batches.
    """

    def __init__(self, lengths, batch_size: int, shuffle: bool, seed: int = 0,
                 bucket: bool = True, pool_batches: int = 50):
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size} must be >= 1")
        self.lengths = torch.as_tensor(lengths)
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.bucket, self.pool = bucket, batch_size * pool_batches
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning at each epoch start, so every epoch has its own order."""
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        n = len(self.lengths)
        order = torch.randperm(n, generator=g) if self.shuffle else torch.arange(n)
        if self.bucket:
            pool = self.pool if self.shuffle else n
            pools = [order[i:i + pool] for i in range(0, n, pool)]
            # stable sort keeps equal lengths in their shuffled order
            order = torch.cat([p[torch.sort(self.lengths[p], stable=True).indices] for p in pools])
        batches = [order[i:i + self.batch_size].tolist() for i in range(0, n, self.batch_size)]
        if self.shuffle and self.bucket:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=g)]
        return batches

    def __iter__(self):
        return iter(self.batches())

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def padding_fraction(self) -> float:
        """Share of computed time steps (B x longest row, summed over batches) that are padding."""
        computed = valid = 0
        for b in self.batches():
            lens = self.lengths[b]
            computed += int(lens.max()) * len(b)
            valid += int(lens.sum())
        return 1.0 - valid / max(computed, 1)


def pad_token_batch(rows: list[dict], pad_id: int = 0):
    """Collates rows {"input_ids": [...], "label": int} -> (ids [B, T], lengths [B], y [B])."""
    lengths = torch.tensor([len(r["input_ids"]) for r in rows])
    ids = torch.full((len(rows), int(lengths.max())), pad_id, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : lengths[i]] = torch.as_tensor(r["input_ids"])
    y = torch.tensor([r["label"] for r in rows])
    return ids, lengths, y
