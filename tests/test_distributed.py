"""Several processes give the answers one process gives: batches are shared out so that every
evaluation row is seen exactly once, and metrics under DDP equal the single-process ones."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from seqtasks.data import LengthBucketedBatchSampler
from seqtasks.reports.runs import load_run
from tests.conftest import make_rows, write_csv

ROOT = Path(__file__).resolve().parents[1]
LENGTHS = torch.randint(1, 50, (103,), generator=torch.Generator().manual_seed(0))


def shards(shuffle: bool, world: int, batch_size: int = 8) -> list[list[list[int]]]:
    return [list(LengthBucketedBatchSampler(LENGTHS, batch_size, shuffle=shuffle, seed=1,
                                            num_replicas=world, rank=rank)) for rank in range(world)]


@pytest.mark.parametrize("world", [2, 3, 4])
def test_evaluation_shards_hold_every_row_exactly_once(world):
    parts = shards(shuffle=False, world=world)
    rows = sorted(i for part in parts for batch in part for i in batch)
    assert rows == list(range(len(LENGTHS)))  # 103 rows: uneven shares, none padded or dropped
    for rank, part in enumerate(parts):
        assert len(part) == len(LengthBucketedBatchSampler(LENGTHS, 8, False, num_replicas=world, rank=rank))


@pytest.mark.parametrize("world", [2, 3])
def test_training_shards_are_equal_and_cover_every_row(world):
    parts = shards(shuffle=True, world=world)
    assert len({len(part) for part in parts}) == 1  # every process takes the same number of steps
    assert {i for part in parts for batch in part for i in batch} == set(range(len(LENGTHS)))
    assert len(parts[0]) == len(LengthBucketedBatchSampler(LENGTHS, 8, True, num_replicas=world))


def test_a_resumed_epoch_continues_where_it_stopped():
    sampler = LengthBucketedBatchSampler(LENGTHS, 8, shuffle=True, seed=1)
    sampler.set_epoch(2)
    epoch_two = list(sampler)
    sampler.start_at(2, batches_done=5)
    assert list(sampler) == epoch_two[5:]
    assert list(sampler) == epoch_two  # the skip applies once
    sampler.start_at(2, batches_done=len(sampler))  # a finished epoch moves on to the next
    assert sampler.epoch == 3 and list(sampler) != epoch_two


@pytest.mark.slow  # starts a process
@pytest.mark.parametrize("encoder", ["lstm", "mingru", "indrnn"])
def test_ddp_test_metrics_equal_one_process_on_the_same_checkpoint(tmp_path, encoder):
    """torchrun starts 2 CPU processes (gloo); 25 test rows do not divide by 2. The scan encoders
    and IndRNN (a hand-written backward) train under DDP with no change to the task."""
    root = tmp_path / "data"
    root.mkdir()
    write_csv(root / "train.csv", make_rows(60, seed=1))
    write_csv(root / "test.csv", make_rows(25, seed=2))
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               str(ROOT / "scripts" / "train.py"), "trainer=ddp", "trainer.devices=2",
               "trainer.accelerator=cpu", "trainer.max_epochs=2", "data=files", f"data.root={root}",
               "data.batch_size=8", f"encoder={encoder}", "encoder.hidden_size=8", "task.embedding_dim=8",
               f"output_dir={run_dir}", f"data.cache_dir={tmp_path}/cache"]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("run directory:") == 1  # the run directory is written once
    ddp = json.loads((run_dir / "metrics.json").read_text())
    assert ddp["data/test_size"] == 25

    run = load_run(ckpt=run_dir / "checkpoints" / "best.ckpt")
    trainer = pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False)
    single = trainer.test(run.model, datamodule=run.datamodule, verbose=False)[0]
    assert ddp["test/acc"] == single["test/acc"]
    assert ddp["test/f1_macro"] == single["test/f1_macro"]
    assert ddp["test/loss"] == pytest.approx(single["test/loss"], rel=1e-5)
