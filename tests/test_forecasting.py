"""The forecaster: baselines by definition, reversible normalization, shapes, and a real run."""

import json
from functools import partial

import numpy as np
import pandas as pd
import pytest
import torch

from seqtasks.config.compose import load_config
from seqtasks.data import SeriesDataModule
from seqtasks.encoders import LSTMEncoder
from seqtasks.export.predict import predict
from seqtasks.tasks import DLinear, Forecaster, InstanceNorm
from seqtasks.training.train import train
from tests.test_timeseries import write_series


def forecaster(model="recurrent", num_inputs=3, targets=("a", "b"), **kwargs):
    encoder = partial(LSTMEncoder, hidden_size=8)
    return Forecaster(
        encoder,
        num_inputs=num_inputs,
        target_names=list(targets),
        lookback=24,
        horizon=6,
        target_mean=[10.0] * len(targets),
        target_std=[2.0] * len(targets),
        model=model,
        segment_length=6,
        embedding_dim=8,
        **kwargs,
    )


def test_repeat_last_predicts_the_last_input_value_of_each_target():
    x = torch.randn(4, 24, 3)
    pred = forecaster("repeat_last")(x)
    assert pred.shape == (4, 6, 2)
    torch.testing.assert_close(pred, x[:, -1:, :2].expand(-1, 6, -1))


@pytest.mark.parametrize("kind", ["revin", "last", "none"])
def test_instance_norm_is_undone_exactly(kind):
    norm = InstanceNorm(kind, 3)
    x = torch.randn(5, 24, 3) * 4 + 7
    z, stats = norm.normalize(x)
    torch.testing.assert_close(
        norm.denormalize(z[:, -6:, [0, 2]], stats, torch.tensor([0, 2])), x[:, -6:, [0, 2]]
    )


def test_revin_makes_each_window_zero_mean_unit_variance():
    z, _ = InstanceNorm("revin", 2).normalize(torch.randn(3, 50, 2) * 5 + 3)
    torch.testing.assert_close(z.mean(1), torch.zeros(3, 2), atol=1e-5, rtol=0)
    torch.testing.assert_close(z.std(1, unbiased=False), torch.ones(3, 2), atol=1e-3, rtol=0)


def test_dlinear_of_a_constant_window_maps_through_its_weights():
    model = DLinear(24, 6)
    x = torch.full((2, 24, 3), 5.0)  # trend = 5 everywhere, remainder 0
    expected = model.trend(torch.full((24,), 5.0)) + model.seasonal.bias
    torch.testing.assert_close(model(x)[0, :, 1], expected)


@pytest.mark.parametrize("channel_independent", [True, False])
def test_recurrent_forecaster_predicts_every_target_for_every_step(channel_independent):
    model = forecaster(channel_independent=channel_independent)
    assert model(torch.randn(4, 24, 3)).shape == (4, 6, 2)


def test_channel_independence_means_a_column_does_not_see_the_others():
    model = forecaster(channel_independent=True).eval()
    x = torch.randn(2, 24, 3)
    x2 = x.clone()
    x2[..., 1:] = torch.randn(2, 24, 2)  # change every column but the first
    torch.testing.assert_close(model(x)[..., 0], model(x2)[..., 0])


def test_original_units_undo_the_standardization():
    model = forecaster()
    torch.testing.assert_close(model.to_original_units(torch.zeros(1, 6, 2)), torch.full((1, 6, 2), 10.0))


def test_segment_length_must_divide_the_lookback():
    with pytest.raises(ValueError, match="task.segment_length=5 must divide the lookback 24"):
        Forecaster(partial(LSTMEncoder, hidden_size=4), 1, ["a"], 24, 6, [0.0], [1.0], segment_length=5)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["recurrent", "linear", "repeat_last"])
def test_forecast_task_trains_offline_on_the_shipped_series(tmp_path, model):
    """`python scripts/train.py task=forecast` in small: the shipped CO2 series, every model."""
    pytest.importorskip("statsmodels")
    cfg = load_config(
        [
            "task=forecast",
            f"task.model={model}",
            "trainer=cpu",
            "trainer.max_epochs=2",
            "encoder.hidden_size=16",
            "data.lookback=48",
            "data.horizon=12",
            f"output_dir={tmp_path}",
        ]
    )
    metrics = train(cfg)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["test/mse"] == pytest.approx(metrics["test/mse"])
    assert saved["data/missing_values_filled"] == 59
    ckpt = torch.load(tmp_path / "checkpoints" / "best.ckpt", weights_only=True)
    std = ckpt["hyper_parameters"]["target_std"][0]
    assert ckpt["SeriesDataModule"]["columns"] == ["co2"]
    # one target: MSE in data units is the standardized MSE times the variance
    assert saved["test/mse_original"] == pytest.approx(saved["test/mse"] * std**2, rel=1e-3)
    assert saved["test/mse"] < 0.5  # CO2 a quarter ahead is predictable; 1.0 is predicting the mean


def test_predict_forecasts_from_the_last_rows_of_a_csv_in_data_units(tmp_path):
    """A checkpoint alone forecasts a new CSV: the same numbers as the model on that window."""

    t = np.arange(300, dtype=float)
    path = write_series(tmp_path / "s.csv", n=300, y=np.sin(t / 5) * 10 + 50, z=np.cos(t / 7))
    cfg = load_config(["task=forecast", "data=series", f"data.path={path}", "data.targets=[y]",
                       "data.covariates=[z]", "data.lookback=24", "data.horizon=6", "trainer=cpu",
                       "trainer.max_epochs=1", "encoder.hidden_size=8", f"output_dir={tmp_path / 'run'}"])
    train(cfg)
    ckpt = tmp_path / "run" / "checkpoints" / "best.ckpt"
    new = write_series(tmp_path / "new.csv", n=40, y=np.linspace(40, 60, 40), z=np.zeros(40))
    (record,) = predict(ckpt, [str(new)])
    assert record["input"] == str(new) and list(record["forecast"]) == ["y"]

    state = torch.load(ckpt, weights_only=True)["SeriesDataModule"]
    model = Forecaster.load_from_checkpoint(ckpt, encoder=partial(LSTMEncoder, hidden_size=8,
                                                                  bidirectional=True, forget_bias=1.0))
    raw = pd.read_csv(new)[["y", "z"]].to_numpy()[-24:]
    x = torch.tensor((raw - state["mean"]) / state["std"], dtype=torch.float32)[None]
    expected = model.eval().to_original_units(model(x))[0, :, 0]
    assert record["forecast"]["y"] == pytest.approx(expected.tolist(), rel=1e-5)


def test_predict_refuses_a_csv_shorter_than_the_lookback(tmp_path):
    dm = SeriesDataModule(path="unused.csv", lookback=24, horizon=6)
    dm.load_state_dict({"targets": ["y"], "covariates": [], "mean": [0.0], "std": [1.0],
                        "time_column": "date", "lookback": 24, "horizon": 6})
    short = write_series(tmp_path / "short.csv", n=10, y=np.arange(10.0))
    with pytest.raises(ValueError, match="short.csv: 10 rows, fewer than the model's lookback 24"):
        dm.read_inputs([str(short)])


def test_predict_refuses_a_non_finite_input_naming_the_file(tmp_path):
    """A last window holding inf once printed NaN forecasts (not valid JSON) and exited 0."""
    dm = SeriesDataModule(path="unused.csv", lookback=24, horizon=6)
    dm.load_state_dict({"targets": ["y"], "covariates": [], "mean": [0.0], "std": [1.0],
                        "time_column": "date", "lookback": 24, "horizon": 6})
    y = np.arange(40.0)
    y[-3] = np.inf
    bad = write_series(tmp_path / "recent.csv", n=40, y=y)
    with pytest.raises(ValueError, match=r"recent.csv: column 'y' has a non-finite value inf at row 37"):
        dm.read_inputs([str(bad)])
