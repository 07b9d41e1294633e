"""The benchmark's parts on toy inputs: memory measured per process, padding and data-wait
figures from real datamodules, the time-to-target stop, and the command line's checks."""

import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from allocate import allocate, allocate_and_release

from seqtasks.benchmark.isolate import isolated
from seqtasks.benchmark.pipeline import data_wait, padding_fractions, text_preparation
from seqtasks.benchmark.table import markdown
from seqtasks.benchmark.target import StopAtTarget, time_to_target
from seqtasks.benchmark.throughput import encoder_speed, framework_overhead

ROOT = Path(__file__).resolve().parents[1]
TINY = ["encoder.hidden_size=8", "task.embedding_dim=8", "data.batch_size=16"]


@pytest.mark.slow  # starts a process
def test_isolated_reports_the_childs_own_peak_memory():
    small, large = isolated(allocate, 10), isolated(allocate, 300)
    assert small["sum"] == 10.0
    assert large["peak_rss_mb"] - small["peak_rss_mb"] > 250


def test_isolated_sees_a_peak_that_was_released_before_the_end():
    assert isolated(allocate_and_release, 300)["peak_rss_mb"] > 300


def test_padding_fractions_bucketing_cuts_padding(text_root):
    result = padding_fractions(["task=text", "data=files", f"data.root={text_root}", *TINY])
    assert result["rows"] > 100 and result["batch_size"] == 16
    assert 0.0 <= result["padding_fraction_bucketed"] < result["padding_fraction_unbucketed"]


def test_data_wait_is_a_small_share_of_a_profiled_epoch(text_root, tmp_path):
    result = data_wait(["task=text", "data=files", f"data.root={text_root}", *TINY])
    assert 0.0 < result["data_wait_fraction"] < 1.0
    assert result["data_wait_seconds"] < result["epoch_seconds"]


def test_text_preparation_counts_the_training_rows(text_root, tmp_path):
    result = text_preparation(str(text_root), str(tmp_path / "cache"), max_length=32)
    assert result["train_rows"] == 150 - 15  # a tenth carved out for validation
    assert result["prep_seconds"] > 0


def test_framework_overhead_compares_both_loops_over_the_same_steps(text_root):
    result = framework_overhead(["task=text", "data=files", f"data.root={text_root}", *TINY],
                                warmup=2, steps=12, repeats=1)  # 9 batches an epoch: crosses one
    (plain,), (ours,) = result["plain_samples_per_s"], result["seqtasks_samples_per_s"]
    assert plain > 0 and ours > 0
    assert result["overhead_ratio"] == pytest.approx(ours / plain, abs=2e-3)


def test_encoder_speed_times_every_implementation():
    rows = encoder_speed([(4, 6)], hidden=8, repeats=1, compile_explicit=False)
    assert [(r["encoder"], r["impl"]) for r in rows] == [("RNNEncoder", "fused"), ("RNNEncoder", "explicit"),
                                                          ("LSTMEncoder", "fused"),
                                                          ("LSTMEncoder", "explicit")]
    assert all(r["forward_ms"] > 0 and r["forward_backward_ms"] > 0 for r in rows)


@pytest.mark.parametrize("mode, values, stop_epoch",
                         [("max", [0.5, 0.91, 0.95], 1), ("min", [0.9, 0.8, 0.6], 2)])
def test_stop_at_target_notes_the_first_epoch_that_reaches_it(mode, values, stop_epoch):
    target = 0.9 if mode == "max" else 0.7
    stop = StopAtTarget("val/acc", target, mode, started=0.0)
    trainer = SimpleNamespace(sanity_checking=False, should_stop=False, current_epoch=0, callback_metrics={},
                              state=SimpleNamespace(fn="fit"))
    for epoch, value in enumerate(values):
        if trainer.should_stop:
            break
        trainer.current_epoch, trainer.callback_metrics = epoch, {"val/acc": torch.tensor(value)}
        stop.on_validation_end(trainer, None)
    assert trainer.should_stop and stop.epoch == stop_epoch and stop.seconds > 0


def test_time_to_target_trains_until_validation_and_test_reach_it(text_root, tmp_path):
    overrides = ["task=text", "data=files", f"data.root={text_root}", "data.batch_size=16",
                 "encoder.hidden_size=16", "task.embedding_dim=16", "task.lr=0.02", "trainer.max_epochs=12"]
    result = time_to_target(overrides, "val/acc", 0.6, "max", time.time(), str(tmp_path / "run"),
                            check_test=True)
    assert result["best_val/acc"] >= 0.6 and result["best_test_acc"] >= 0.6
    assert 0 < result["seconds"] and 0 < result["test_acc_seconds"]
    assert max(result["epoch"], result["test_acc_epoch"]) < 11  # stopped once both were reached


def test_markdown_shows_each_section_that_ran():
    result = {"quick": True, "overhead_ratio": 0.97,
              "machine": {"cpus": 2, "torch_threads": 2, "torch": "2", "gpu": None, "commit": "abc"},
              "details": {"padding": {"trec": {
                  "rows": 10, "mean_length": 5.0, "max_length": 9, "batch_size": 4,
                  "padding_fraction_bucketed": 0.031, "padding_fraction_unbucketed": 0.5}}}}
    text = markdown(result)
    assert "| trec | 10 | 5.0 / 9 | 4 | 3.1 % | 50.0 % |" in text
    assert "Framework overhead" not in text


@pytest.mark.slow  # starts a process
def test_command_refuses_an_unknown_section(tmp_path):
    run = subprocess.run([sys.executable, "scripts/benchmark.py", "--out", str(tmp_path / "b.json"),
                          "--sections", "padding,speed"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2
    assert "unknown section(s) ['speed']" in run.stderr


def test_runs_with_the_same_name_get_labels_that_tell_them_apart(tmp_path):
    """Every reproduced run is called seed0: the export table must not merge two runs' rows."""
    from seqtasks.reports.runs import run_labels

    runs = [tmp_path / "sst2_lstm" / "seed0", tmp_path / "sst2_mingru" / "seed0",
            tmp_path / "sst2_lstm" / "seed1"]
    assert run_labels(runs) == ["sst2_lstm/seed0", "sst2_mingru/seed0", "sst2_lstm/seed1"]
    assert run_labels(runs[1:2] + runs[2:]) == ["seed0", "seed1"]


def test_the_same_run_given_twice_is_refused(tmp_path):
    from seqtasks.reports.runs import run_labels

    with pytest.raises(ValueError, match="given twice"):
        run_labels([tmp_path / "a" / "seed0", tmp_path / "a" / ".." / "a" / "seed0"])
