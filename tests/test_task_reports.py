"""Reports of the forecast and memory tasks from tiny real runs: the plug-ins fit the real modules."""

import json

import pytest

from seqtasks.config.compose import load_config
from seqtasks.reports import evaluate
from seqtasks.reports.sections import fmt
from seqtasks.training.train import train
from tests.test_reports import md_tables


def train_and_report(tmp_path, *overrides):
    run_dir = tmp_path / "run"
    train(load_config(["trainer=cpu", "trainer.max_epochs=1", "encoder.hidden_size=8",
                       f"output_dir={run_dir}", *overrides]))
    out = evaluate(run=run_dir, resamples=100).parent
    data = json.loads((out / "metrics.json").read_text())
    data["figures"] = sorted(p.stem for p in out.glob("*.png"))
    trained = json.loads((run_dir / "metrics.json").read_text())
    return md_tables((out / "report.md").read_text()), data, trained


def assert_metrics_match_training(tables, data, trained, keys):
    rows = tables["Test metrics"][0][1:]
    assert [r[0] for r in rows] == keys
    for key, value, *_, at_training in rows:
        assert value == fmt(data[key]) and at_training == fmt(trained[key])
        assert data[key] == pytest.approx(trained[key], rel=1e-4)


@pytest.mark.slow
def test_forecast_report_scores_both_scales_per_horizon_step(tmp_path):
    pytest.importorskip("statsmodels")
    tables, data, trained = train_and_report(tmp_path, "task=forecast", "data.lookback=48", "data.horizon=12",
                                             "task.embedding_dim=8")
    assert_metrics_match_training(tables, data, trained,
                                  ["test/mse", "test/mae", "test/mse_original", "test/mae_original"])
    (horizon,) = tables["Error per horizon step"]
    assert [r[0] for r in horizon[1:]] == [str(s) for s in range(1, 13)]
    assert sum(float(r[1]) for r in horizon[1:]) / 12 == pytest.approx(data["test/mse"], abs=1e-3)
    assert {"error_by_horizon", "forecast_vs_actual", "gradient_by_distance"} <= set(data["figures"])
    assert data["gates"]["max_output_gap"] < 1e-5  # the LSTM inside the forecaster's .net


def test_memory_report_compares_with_the_baseline_and_shows_training_gradients(tmp_path):
    tables, data, trained = train_and_report(tmp_path, "task=memory", "data.seq_len=12", "data.num_train=256",
                                             "data.num_val=64", "data.num_test=64")
    assert_metrics_match_training(tables, data, trained, ["test/mse", "test/mae"])
    (baseline,) = tables["Loss against a trivial baseline"]
    assert baseline[1] == ["model", fmt(data["test/mse"])]
    assert baseline[3] == ["predict the mean training target (data/baseline_mse)",
                           fmt(trained["data/baseline_mse"])]
    assert data["baseline"]["ratio"] == pytest.approx(data["test/mse"] / data["baseline"]["baseline_mse"])
    (during,) = tables["Gradient norms during training"]
    assert [r[0] for r in during[1:]] == ["0", "1"]  # at the start and after the one epoch
    assert len(data["gradient_by_distance"]) == 12  # every step of the 12-step sequences
    assert "training_gradient_norms" in data["figures"]  # the task's own gradient_norms.png
