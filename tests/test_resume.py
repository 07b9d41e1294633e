"""Interruption and resume: a signal mid-epoch saves a checkpoint and stops in one line; resuming
ends with exactly the metrics of the uninterrupted run."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from pytorch_lightning.callbacks import Callback

from seqtasks.reports.runs import read_epoch_metrics
from seqtasks.training.resume import TrainingInterrupted
from seqtasks.training.train import train
from tests.conftest import make_rows, tiny_config, write_csv

ROOT = Path(__file__).resolve().parents[1]
SHORT = ("trainer.max_epochs=2", "data.batch_size=8")  # 54 training rows: 7 batches an epoch


class SignalAt(Callback):
    """Sends this process `signum` at the end of training batch `batch` of epoch `epoch`."""

    def __init__(self, epoch: int, batch: int, signum=signal.SIGTERM):
        self.at, self.signum = (epoch, batch), signum

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if (trainer.current_epoch, batch_idx) == self.at:
            os.kill(os.getpid(), self.signum)


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("resume")
    write_csv(root / "train.csv", make_rows(60, seed=1))
    write_csv(root / "test.csv", make_rows(25, seed=2))
    return root


def without_times(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in ("train_seconds", "train/seconds")}


@pytest.mark.parametrize("ema", ["null", "0.9"])  # with ema_decay, the average is restored too
def test_interrupted_mid_epoch_and_resumed_equals_uninterrupted(toy, tmp_path, ema):
    short = (*SHORT, f"ema_decay={ema}")
    whole = train(tiny_config(toy, tmp_path / "whole", *short))
    cut = tmp_path / "cut"
    with pytest.raises(TrainingInterrupted) as info:
        train(tiny_config(toy, cut, *short), callbacks=[SignalAt(epoch=1, batch=2)])
    assert info.value.checkpoint == cut / "checkpoints" / "interrupted.ckpt"
    assert info.value.exit_code == 128 + signal.SIGTERM
    saved = torch.load(info.value.checkpoint, weights_only=True)
    assert saved["epoch"] == 1 and saved["sampler_position"] == [1, 3]  # 3 batches of epoch 1 done
    assert saved["seqtasks_train_seconds"] > 0  # the part trained before the interruption
    saved["seqtasks_train_seconds"] = 1000.0  # so a count restarted at 0 fails below
    torch.save(saved, info.value.checkpoint)

    resumed = train(tiny_config(toy, cut, *short, "resume=true"))
    assert without_times(resumed) == without_times(whole)
    assert resumed["train_seconds"] > 1000  # the whole run's time, both parts
    # metrics.csv keeps every epoch: the validation rows and epoch-0 training row match the whole run's
    rows = {name: read_epoch_metrics(d / "metrics.csv") for name, d in (("whole", tmp_path / "whole"),
                                                                        ("cut", cut))}
    assert sorted(rows["cut"]) == sorted(rows["whole"]) == [0, 1]
    assert without_times(rows["cut"][0]) == without_times(rows["whole"][0])  # the epoch before the cut
    assert rows["cut"][1]["train/seconds"] > 1000 > rows["cut"][0]["train/seconds"] > 0  # counted on
    assert rows["cut"][1]["val/loss"] == rows["whole"][1]["val/loss"]
    a, b = (torch.load(d / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
            for d in (tmp_path / "whole", cut))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not info.value.checkpoint.exists()  # a finished fit removes it


def test_same_seed_gives_identical_metrics_json(toy, tmp_path):
    for name in ("a", "b"):
        train(tiny_config(toy, tmp_path / name, *SHORT))
    a, b = (json.loads((tmp_path / n / "metrics.json").read_text()) for n in ("a", "b"))
    assert without_times(a) == without_times(b)


def test_ctrl_c_acts_as_before_once_training_is_over(toy, tmp_path):
    before = signal.getsignal(signal.SIGINT)
    train(tiny_config(toy, tmp_path / "run", *SHORT))
    assert signal.getsignal(signal.SIGINT) is before


def test_resume_needs_a_checkpoint_and_the_same_config(toy, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"resume=true but .*fresh/checkpoints holds no interrupted"):
        train(tiny_config(toy, tmp_path / "fresh", *SHORT, "resume=true"))
    with pytest.raises(TrainingInterrupted):
        train(tiny_config(toy, tmp_path / "cut", *SHORT), callbacks=[SignalAt(0, 1)])
    with pytest.raises(ValueError, match=r"1 key\(s\) differ .*encoder.hidden_size: 8 -> 16"):
        train(tiny_config(toy, tmp_path / "cut", *SHORT, "encoder.hidden_size=16", "resume=true"))


def test_resume_with_more_epochs_continues_a_finished_run(toy, tmp_path):
    run_dir = tmp_path / "run"
    train(tiny_config(toy, run_dir, *SHORT))
    before = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    longer = (*SHORT, "trainer.max_epochs=3")
    train(tiny_config(toy, run_dir, *longer, "resume=true", "logger=[csv,tensorboard]"))
    last = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert (before["global_step"], last["global_step"]) == (14, 21)  # 7 batches x 2, then x 3 epochs
    assert last["epoch"] == before["epoch"] + 1
    schedule = last["lr_schedulers"][0]
    assert schedule["total_steps"] == 21 and schedule["last_epoch"] == 21  # the longer plan, run to its end
    assert "max_epochs: 3" in (run_dir / "config.yaml").read_text()


@pytest.mark.slow  # starts a process
def test_ctrl_c_saves_a_checkpoint_and_exits_with_one_line(toy, tmp_path):
    run_dir = tmp_path / "run"
    command = [sys.executable, str(ROOT / "scripts" / "train.py"), "trainer=cpu", "data=files",
               f"data.root={toy}", "data.batch_size=8", "encoder.hidden_size=8", "task.embedding_dim=8",
               "trainer.max_epochs=1000", f"output_dir={run_dir}", f"data.cache_dir={tmp_path}/cache"]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for line in process.stdout:  # the marker: training has started, signals are handled
        if "Ctrl+C or SIGTERM stops after this batch" in line:
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGINT
    assert stderr.strip().splitlines()[-1] == (
        f"interrupted by SIGINT: saved {run_dir}/checkpoints/interrupted.ckpt; continue with the same "
        f"command plus resume=true output_dir={run_dir}")
    assert torch.load(run_dir / "checkpoints" / "interrupted.ckpt", weights_only=True)["sampler_position"]


def test_a_copied_run_directory_resumes_to_the_uninterrupted_metrics(toy, tmp_path):
    whole = train(tiny_config(toy, tmp_path / "whole", *SHORT))
    cut, copy = tmp_path / "cut", tmp_path / "elsewhere" / "copy"
    with pytest.raises(TrainingInterrupted):
        train(tiny_config(toy, cut, *SHORT), callbacks=[SignalAt(epoch=1, batch=2)])
    shutil.copytree(cut, copy)
    shutil.rmtree(cut)  # as on another machine: nothing may point back at the old place
    resumed = train(tiny_config(toy, copy, *SHORT, "resume=true"))
    assert without_times(resumed) == without_times(whole)
    a, b = (torch.load(d / "checkpoints" / "best.ckpt", weights_only=True)
            for d in (tmp_path / "whole", copy))
    assert a["epoch"] == b["epoch"] and all(torch.equal(a["state_dict"][k], b["state_dict"][k])
                                            for k in a["state_dict"])
    assert not cut.exists()


def test_a_finished_run_is_not_replaced_without_overwrite(toy, tmp_path):
    run_dir = tmp_path / "run"
    first = train(tiny_config(toy, run_dir, *SHORT))
    before = (run_dir / "metrics.json").read_text()
    with pytest.raises(ValueError, match=r"output_dir=.*run already holds a run \(metrics.json, metrics.csv, "
                                         r"best.ckpt\); resume=true continues it, overwrite=true"):
        train(tiny_config(toy, run_dir, *SHORT, "seed=1"))
    assert (run_dir / "metrics.json").read_text() == before  # nothing written on refusal
    (run_dir / "tensorboard").mkdir()  # an earlier run's events would mix into the new run's
    (run_dir / "notes.txt").write_text("mine")  # not a run file: never removed
    second = train(tiny_config(toy, run_dir, *SHORT, "seed=1", "overwrite=true"))
    assert not (run_dir / "tensorboard").exists() and (run_dir / "notes.txt").read_text() == "mine"
    written = json.loads((run_dir / "metrics.json").read_text())
    assert second != first and written["val/loss"] == second["val/loss"]


def test_resume_mid_epoch_on_other_devices_is_refused(toy, tmp_path):
    run_dir = tmp_path / "cut"
    with pytest.raises(TrainingInterrupted):
        train(tiny_config(toy, run_dir, *SHORT), callbacks=[SignalAt(epoch=1, batch=2)])
    with pytest.raises(ValueError, match=r"resume=true with other trainer.devices from interrupted.ckpt, "
                                         r"which stopped 3 batches into an epoch"):
        train(tiny_config(toy, run_dir, *SHORT, "trainer.devices=2", "resume=true"))


def test_an_interrupted_run_is_never_replaced_by_a_fresh_start(toy, tmp_path):
    run_dir = tmp_path / "cut"
    with pytest.raises(TrainingInterrupted):
        train(tiny_config(toy, run_dir, *SHORT), callbacks=[SignalAt(epoch=0, batch=2)])
    saved = (run_dir / "checkpoints" / "interrupted.ckpt").read_bytes()
    for extra in ((), ("overwrite=true",)):
        with pytest.raises(ValueError, match=r"holds an interrupted run \(checkpoints/interrupted.ckpt\); "
                                             r"resume=true continues it"):
            train(tiny_config(toy, run_dir, *SHORT, *extra))
    assert (run_dir / "checkpoints" / "interrupted.ckpt").read_bytes() == saved
