"""The adding problem and the input-gradient probe that shows the vanishing gradient."""

import csv
from functools import partial

import pytest
import torch

from seqtasks.config.compose import load_config
from seqtasks.data import AddingDataModule, adding_problem
from seqtasks.encoders import LSTMEncoder, RNNEncoder
from seqtasks.tasks import SequenceRegressor, input_gradient_norms
from seqtasks.training.train import train


def test_adding_problem_marks_one_step_in_each_half_and_sums_them():
    x, y = adding_problem(50, 20, torch.Generator().manual_seed(0))
    assert x.shape == (50, 20, 2)
    markers = x[..., 1]
    assert torch.equal(markers[:, :10].sum(1), torch.ones(50)) and torch.equal(
        markers[:, 10:].sum(1), torch.ones(50)
    )
    torch.testing.assert_close(y, (x[..., 0] * markers).sum(1))


def test_adding_data_are_deterministic_for_a_seed_and_the_baseline_is_one_sixth():
    a, b = (
        AddingDataModule(seq_len=30, num_test=5000, seed=3),
        AddingDataModule(seq_len=30, num_test=5000, seed=3),
    )
    a.setup(), b.setup()
    assert torch.equal(a.splits["train"].tensors[0], b.splits["train"].tensors[0])
    assert not torch.equal(a.splits["train"].tensors[0][:5], a.splits["test"].tensors[0][:5])
    assert a.stats["baseline_mse"] == pytest.approx(1 / 6, abs=0.01)


def test_rnn_input_gradient_vanishes_with_distance_from_the_end():
    torch.manual_seed(0)
    x, y = adding_problem(64, 60, torch.Generator().manual_seed(0))
    rnn = SequenceRegressor(partial(RNNEncoder, hidden_size=32), num_features=2)
    norms = input_gradient_norms(rnn, x, y)  # (T,), index t: distance T-1-t
    assert norms.shape == (60,)
    assert norms[0] < 1e-3 * norms[-1]  # 59 steps back: orders of magnitude smaller


def test_lstm_with_open_forget_gate_keeps_far_gradients_larger_than_the_rnn():
    torch.manual_seed(0)
    x, y = adding_problem(64, 60, torch.Generator().manual_seed(0))
    ratio = {}
    for name, enc in (
        ("rnn", partial(RNNEncoder, hidden_size=32)),
        ("lstm", partial(LSTMEncoder, hidden_size=32, forget_bias=1.0)),
    ):
        norms = input_gradient_norms(SequenceRegressor(enc, num_features=2), x, y)
        ratio[name] = float(norms[0] / norms[-1])
    assert ratio["lstm"] > 100 * ratio["rnn"]


def test_memory_task_run_writes_gradient_norms_per_epoch(tmp_path):
    cfg = load_config(
        [
            "task=memory",
            "trainer=cpu",
            "trainer.max_epochs=2",
            "data.seq_len=12",
            "data.num_train=256",
            "data.num_val=64",
            "data.num_test=64",
            "encoder.hidden_size=8",
            f"output_dir={tmp_path}",
        ]
    )
    metrics = train(cfg)
    assert metrics["data/baseline_mse"] > 0 and "test/mse" in metrics
    rows = list(csv.DictReader(open(tmp_path / "gradient_norms.csv")))
    assert {r["epoch"] for r in rows} == {"0", "1", "2"}  # at start, after epoch 1, after training
    assert len(rows) == 3 * 12 and all(float(r["grad_norm"]) > 0 for r in rows)
    assert (tmp_path / "gradient_norms.png").stat().st_size > 1000


def test_memory_runs_plot_side_by_side(tmp_path):
    from seqtasks.reports.memory import plot_memory_runs

    runs = []
    for encoder in ("rnn", "lstm"):
        cfg = load_config(["task=memory", f"encoder={encoder}", "trainer=cpu", "trainer.max_epochs=1",
                           "data.seq_len=10", "data.num_train=128", "data.num_val=32", "data.num_test=32",
                           "encoder.hidden_size=4", f"output_dir={tmp_path / encoder}"])
        train(cfg)
        runs.append(tmp_path / encoder)
    out = plot_memory_runs(runs, tmp_path / "both.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    from seqtasks.reports.memory import _val_curve

    assert [epoch for epoch, _ in _val_curve(runs[0])] == [0]  # not the best model's re-validation
