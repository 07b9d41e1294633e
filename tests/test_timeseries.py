"""The forecasting datamodule: windows, splits, scaling, and a one-line error for each bad input."""

import numpy as np
import pandas as pd
import pytest
import torch

from seqtasks.data import SeriesDataModule


def write_series(path, n=200, **columns):
    """A CSV with an hourly `date` column and the given columns (default: a ramp `y` and `z = 2y`)."""
    if not columns:
        columns = {"y": np.arange(n, dtype=float), "z": 2 * np.arange(n, dtype=float)}
    df = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="h"), **columns})
    df.to_csv(path, index=False)
    return path


def module(path, **kwargs):
    dm = SeriesDataModule(path=str(path), **{"lookback": 8, "horizon": 4, **kwargs})
    dm.setup()
    return dm


def test_windows_are_the_next_horizon_rows_of_the_targets(tmp_path):
    dm = module(write_series(tmp_path / "s.csv"), targets=["y"], covariates=["z"])
    x, y = dm.windows["train"].__getitems__([0, 5])
    assert x.shape == (2, 8, 2) and y.shape == (2, 4, 1)  # inputs: y and z; targets: y
    raw_y = y[..., 0] * dm.std[0] + dm.mean[0]
    torch.testing.assert_close(raw_y, torch.tensor([[8.0, 9, 10, 11], [13, 14, 15, 16]]))


def test_chronological_split_never_lets_targets_cross_parts(tmp_path):
    dm = module(write_series(tmp_path / "s.csv", n=100))  # 70 / 10 / 20 rows
    assert dm.borders(100) == (70, 80, 100)
    train, val, test = (dm.windows[k] for k in ("train", "validation", "test"))
    assert len(train) == 70 - 8 - 4 + 1
    assert int(val.starts[0]) == 70 - 8 and int(val.starts[-1]) + 8 + 4 == 80  # looks back into train
    assert int(test.starts[0]) == 80 - 8 and int(test.starts[-1]) + 12 == 100


def test_ett_hourly_split_uses_the_published_borders(tmp_path):
    dm = module(write_series(tmp_path / "s.csv", n=14500), split="ett_hourly", lookback=96, horizon=96)
    assert len(dm.windows["train"]) == 8640 - 96 - 96 + 1
    assert int(dm.windows["validation"].starts[0]) == 8640 - 96
    assert int(dm.windows["test"].starts[-1]) + 96 + 96 == 14400  # rows past 14400 unused
    assert dm.stats["rows"] == 14500


def test_scaling_is_fitted_on_training_rows_only_and_saved(tmp_path):
    dm = module(write_series(tmp_path / "s.csv", n=100))
    assert dm.mean[0] == pytest.approx(np.arange(70).mean())  # not the mean of all 100 rows
    state = dm.state_dict()
    assert state["columns"] == ["y", "z"] and state["mean"][1] == pytest.approx(2 * 34.5)
    assert dm.model_kwargs()["target_std"] == pytest.approx(list(dm.std))


def test_missing_values_are_interpolated_and_counted(tmp_path):
    y = np.arange(100, dtype=float)
    y[[10, 11, 50]] = np.nan
    dm = module(write_series(tmp_path / "s.csv", n=100, y=y))
    assert dm.stats["missing_values_filled"] == 3
    assert not torch.isnan(dm.values).any()
    assert float(dm.values[10, 0] * dm.std[0] + dm.mean[0]) == pytest.approx(10.0, abs=1e-4)


def test_missing_values_can_be_an_error_naming_the_column(tmp_path):
    y = np.arange(100, dtype=float)
    y[42] = np.nan
    with pytest.raises(ValueError, match=r"column 'y' has 1 missing values in all, first at row 42"):
        module(write_series(tmp_path / "s.csv", n=100, y=y), missing="error")


def test_shipped_co2_series_loads_offline_with_its_missing_weeks():
    pytest.importorskip("statsmodels")
    dm = SeriesDataModule(builtin="co2", time_format="%Y%m%d", lookback=96, horizon=52)
    dm.setup()
    assert dm.targets == ["co2"] and dm.stats["rows"] == 2284
    assert dm.stats["missing_values_filled"] == 59


@pytest.mark.parametrize(
    "times, message",
    [
        (["2020-01-02", "2020-01-01", "2020-01-03"], "times that are not increasing"),
        (["2020-01-01", "2020-01-01", "2020-01-03"], "1 duplicate times"),
    ],
)
def test_time_column_out_of_order_is_an_error(tmp_path, times, message):
    pd.DataFrame({"date": times, "y": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(ValueError, match=f"s.csv: time column 'date' has {message}"):
        module(tmp_path / "s.csv", lookback=1, horizon=1)


def test_time_order_sort_sorts_and_drops_duplicates(tmp_path):
    times = [f"2020-01-{d:02d}" for d in [2, 1, 1] + list(range(3, 30))]
    pd.DataFrame({"date": times, "y": np.arange(30.0)}).to_csv(tmp_path / "s.csv", index=False)
    dm = module(tmp_path / "s.csv", lookback=2, horizon=1, time_order="sort")
    assert dm.stats["rows"] == 29 and dm.stats["duplicate_times_dropped"] == 1


def test_series_shorter_than_lookback_plus_horizon_is_an_error(tmp_path):
    with pytest.raises(
        ValueError,
        match=r"the validation part has 17 rows of 70 \(look-back included\), "
        r"fewer than lookback \+ horizon = 20",
    ):
        module(write_series(tmp_path / "s.csv", n=70), lookback=10, horizon=10)


def test_unknown_target_column_is_an_error_listing_the_columns(tmp_path):
    with pytest.raises(ValueError, match=r"column 'OT' not found; columns are \['y', 'z'\]"):
        module(write_series(tmp_path / "s.csv"), targets=["OT"])


def test_non_numeric_value_in_a_target_is_an_error_with_its_row(tmp_path):
    y = [str(float(i)) for i in range(100)]
    y[7] = "n/a!"
    with pytest.raises(ValueError, match=r"column 'y' has a non-numeric value 'n/a!' at row 7"):
        module(write_series(tmp_path / "s.csv", n=100, y=y))


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity", "1e400"])
def test_a_non_finite_value_is_refused_with_its_column_and_row(tmp_path, cell):
    """inf once trained to the end on NaN, wrote mean inf / std nan to scaling.json and NaN to
    metrics.json; it is refused before any window is built."""
    y = [str(float(i)) for i in range(100)]
    y[12] = cell
    with pytest.raises(ValueError, match=r"s.csv: column 'y' has a non-finite value -?inf at row 12 "
                                         r"\(1 in the column\)"):
        module(write_series(tmp_path / "s.csv", n=100, y=y))


def test_missing_file_and_bad_options_are_one_line_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv does not exist"):
        module(tmp_path / "nope.csv")
    with pytest.raises(
        ValueError, match=r"data.missing='drop' is not one of \['interpolate', 'ffill', 'error'\]"
    ):
        SeriesDataModule(path="x.csv", missing="drop")
    with pytest.raises(ValueError, match="data.horizon=0 must be a positive int"):
        SeriesDataModule(path="x.csv", horizon=0)


def test_a_cell_that_is_not_a_time_names_file_column_and_row(tmp_path):
    path = write_series(tmp_path / "s.csv", n=50)
    lines = path.read_text().splitlines()
    lines[5] = "yesterday" + lines[5][lines[5].index(","):]  # data row 4
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"s.csv: time column 'date' has 'yesterday' at row 4, which is "
                                         r"not a time \(1 such cells\); set data.time_format"):
        module(path)
