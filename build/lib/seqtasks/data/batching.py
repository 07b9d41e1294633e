"""Batching for every datamodule: seeded per epoch, length-bucketed when rows have lengths, shared
out among DDP processes, and resumable in the middle of an epoch."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from pytorch_lightning.callbacks import Callback
from torch.utils.data import DataLoader, Sampler


class LengthBucketedBatchSampler(Sampler[list[int]]):
    """Yields batches of indices whose lengths are close.

    Shuffled: each epoch permutes the rows (seeded by seed + epoch), sorts them by length inside
    pools of `pool_batches` batches, cuts the pools into batches and shuffles the batch order.
    Not shuffled: rows sorted by length. `bucket=False` gives plain (shuffled) batches.

    With `num_replicas` processes (DDP) process `rank` takes its share. Shuffled (training): whole
    batches, the list padded with its first batches to a multiple of `num_replicas` (as
    DistributedSampler pads rows), so every process takes the same number of steps. Not shuffled
    (evaluation): the rows are dealt out once each, never repeated, so metrics synced across
    processes count every row exactly once. `position`, when given, is asked at every iteration
    for the epoch and the batches to skip (see `epoch_loader`).
    """

    def __init__(self, lengths, batch_size: int, shuffle: bool, seed: int = 0,
                 bucket: bool = True, pool_batches: int = 50, num_replicas: int = 1, rank: int = 0,
                 position: Callable[[], tuple[int, int]] | None = None):
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size} must be >= 1")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank={rank} must lie in [0, num_replicas={num_replicas})")
        if not shuffle and len(lengths) < num_replicas:
            raise ValueError(f"{len(lengths)} rows cannot be shared by {num_replicas} processes: "
                             "each needs at least one; use fewer trainer.devices")
        self.lengths = torch.as_tensor(lengths)
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.bucket, self.pool = bucket, batch_size * pool_batches
        self.num_replicas, self.rank, self.position = num_replicas, rank, position
        self.epoch, self.skip = 0, 0

    def set_epoch(self, epoch: int) -> None:
        """Every epoch has its own order. (Lightning calls `set_epoch` on samplers, not on batch
        samplers: under a Trainer, `position` tells the epoch instead.)"""
        self.epoch = epoch

    def start_at(self, epoch: int, batches_done: int) -> None:
        """The next iteration is epoch `epoch` without its first `batches_done` batches (the rest of
        an interrupted epoch; an epoch finished moves on to the next one)."""
        if batches_done >= len(self):
            epoch, batches_done = epoch + 1, 0
        self.epoch, self.skip = epoch, batches_done

    def batches(self) -> list[list[int]]:
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        n = len(self.lengths)
        order = torch.randperm(n, generator=g) if self.shuffle else torch.arange(n)
        if self.bucket:
            pool = self.pool if self.shuffle else n
            pools = [order[i:i + pool] for i in range(0, n, pool)]
            # stable sort keeps equal lengths in their shuffled order
            order = torch.cat([p[torch.sort(self.lengths[p], stable=True).indices] for p in pools])
        if not self.shuffle:
            order = order[self.rank::self.num_replicas]
        batches = [order[i:i + self.batch_size].tolist() for i in range(0, len(order), self.batch_size)]
        if self.shuffle and self.bucket:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=g)]
        if self.shuffle and self.num_replicas > 1:
            pad = -len(batches) % self.num_replicas  # equal shares: repeat the first batches
            batches = (batches + batches * self.num_replicas)[:len(batches) + pad]
            batches = batches[self.rank::self.num_replicas]
        return batches

    def __iter__(self):
        if self.position is not None:
            self.start_at(*self.position())
        skip, self.skip = self.skip, 0
        return iter(self.batches()[skip:])

    def __len__(self) -> int:
        n = len(self.lengths)
        if self.shuffle:  # whole batches, shared out evenly
            return _ceil_div(_ceil_div(n, self.batch_size), self.num_replicas)
        return _ceil_div(len(range(self.rank, n, self.num_replicas)), self.batch_size)

    def padding_fraction(self) -> float:
        """Share of computed time steps (B x longest row, summed over batches) that are padding."""
        computed = valid = 0
        for b in self.batches():
            lens = self.lengths[b]
            computed += int(lens.max()) * len(b)
            valid += int(lens.sum())
        return 1.0 - valid / max(computed, 1)


class SamplerPosition(Callback):
    """Keeps the training sampler's place in checkpoints (the epoch, the batches done in it) and, when
    a run resumes, starts the next training iteration there: the rest of the interrupted epoch, in
    the same order. (Lightning iterates the training loader once, to count the steps of the LR
    schedule, before it restores a stateful loader's state: hence a callback, restored earlier.)"""

    def __init__(self):
        self.pending: list[int] | None = None

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        epoch = trainer.fit_loop.epoch_progress.current.started - 1  # also right once it completed
        done = trainer.fit_loop.epoch_loop.batch_progress.current.completed
        checkpoint["sampler_position"] = [max(epoch, 0), done]

    def on_load_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        self.pending = checkpoint.get("sampler_position")

    def next_position(self, trainer) -> tuple[int, int]:
        """(epoch, batches to skip) of the training iteration that starts now."""
        position, self.pending = self.pending or (trainer.current_epoch, 0), None
        return tuple(position)


def epoch_loader(dataset, batch_size: int, shuffle: bool, seed: int, trainer=None, lengths=None,
                 bucket: bool = False, num_workers: int = 0, collate_fn=None) -> DataLoader:
    """The loader of one split: batches seeded per epoch, length-bucketed when `lengths` are given
    and `bucket`, shared out among the `trainer`'s processes; in training, each epoch's order
    follows the trainer's epoch and a resumed run starts where `SamplerPosition` says."""
    world, rank, position = (1, 0, None) if trainer is None else (trainer.world_size, trainer.global_rank,
                                                                  _training_position(trainer))
    sampler = LengthBucketedBatchSampler(
        torch.zeros(len(dataset)) if lengths is None else lengths, batch_size, shuffle=shuffle,
        seed=seed, bucket=bucket and lengths is not None, num_replicas=world, rank=rank,
        position=position if shuffle else None)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_fn, num_workers=num_workers,
                      persistent_workers=num_workers > 0)


def _training_position(trainer) -> Callable[[], tuple[int, int]]:
    keeper = next((c for c in trainer.callbacks if isinstance(c, SamplerPosition)), None)
    return partial(keeper.next_position, trainer) if keeper else lambda: (trainer.current_epoch, 0)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def pad_token_batch(rows: list[dict], pad_id: int = 0):
    """Collates rows {"input_ids": [...], "label": int} -> (ids [B, T], lengths [B], y [B])."""
    lengths = torch.tensor([len(r["input_ids"]) for r in rows])
    ids = torch.full((len(rows), int(lengths.max())), pad_id, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : lengths[i]] = torch.as_tensor(r["input_ids"])
    y = torch.tensor([r["label"] for r in rows])
    return ids, lengths, y
