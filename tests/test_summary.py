import json

import pytest
import yaml

from seqtasks.reports import load_runs, speaker_table, summary_table


def fake_run(path, seed, acc, encoder="LSTMEncoder", hidden=128, test_speakers=None, task=None,
             metrics=None):
    path.mkdir(parents=True)
    cfg = {"seed": seed, "output_dir": str(path),
           "data": {"root": "/x/trec", "builtin": None, "seed": seed, "test_speakers": test_speakers},
           "encoder": {"_target_": f"seqtasks.encoders.{encoder}", "hidden_size": hidden},
           "task": task or {"_target_": "seqtasks.tasks.SequenceClassifier"}}
    (path / "config.yaml").write_text(yaml.safe_dump(cfg))
    (path / "metrics.json").write_text(json.dumps(metrics or {"test/acc": acc, "train_seconds": 10.0}))
    return path


def test_seeds_are_grouped_into_mean_and_spread(tmp_path):
    runs = [fake_run(tmp_path / f"s{s}", s, acc) for s, acc in ((1, 0.90), (2, 0.92), (3, 0.94))]
    runs.append(fake_run(tmp_path / "rnn", 1, 0.80, encoder="RNNEncoder"))
    table = summary_table(load_runs(runs), keys=("test/acc",))
    assert "| trec | LSTM | 1,2,3 | 92.0 ± 2.0 |" in table
    assert "| trec | RNN | 1 | 80.0 |" in table  # one run: no spread to show


def test_unfinished_run_is_refused(tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(FileNotFoundError, match="half has no metrics.json"):
        load_runs([tmp_path / "half"])


def test_runs_that_differ_in_more_than_seed_are_not_averaged(tmp_path):
    runs = [fake_run(tmp_path / "a", 1, 0.90), fake_run(tmp_path / "b", 2, 0.80, hidden=16)]
    table = summary_table(load_runs(runs), keys=("test/acc",))
    assert "| trec | LSTM (encoder.hidden_size=128) | 1 | 90.0 |" in table
    assert "| trec | LSTM (encoder.hidden_size=16) | 2 | 80.0 |" in table


def test_leave_one_speaker_out_folds_give_one_row_with_each_speaker_the_mean_and_the_worst(tmp_path):
    folds = [("ann", 0.90), ("bob", 0.70), ("cy", 0.95)]
    runs = [fake_run(tmp_path / name, 0, acc, test_speakers=[name]) for name, acc in folds]
    runs += [fake_run(tmp_path / "rnn_ann", 0, 0.5, encoder="RNNEncoder", test_speakers=["ann"]),
             fake_run(tmp_path / "official", 0, 0.99)]  # no held-out speaker: not in this table
    table = speaker_table(load_runs(runs))
    assert "| data | encoder | ann | bob | cy | mean | worst |" in table
    assert "| trec | LSTM | 90.0 | 70.0 | 95.0 | 85.0 | 70.0 |" in table
    assert "| trec | RNN | 50.0 | - | - | 50.0 | 50.0 |" in table and "99.0" not in table
    assert speaker_table(load_runs(runs[-1:])) == ""


def test_a_whole_number_typed_as_int_or_float_is_one_setup(tmp_path):
    runs = [fake_run(tmp_path / "a", 1, 0.90, hidden=128), fake_run(tmp_path / "b", 2, 0.80, hidden=128.0)]
    assert "| trec | LSTM | 1,2 | 85.0 ± 7.1 |" in summary_table(load_runs(runs), keys=("test/acc",))


def test_forecasting_runs_are_summarized_by_their_own_metrics_and_dlinear_is_named(tmp_path):
    forecaster = "seqtasks.tasks.Forecaster"
    runs = [fake_run(tmp_path / f"lstm{s}", s, None, task={"_target_": forecaster, "model": "recurrent"},
                     metrics={"test/mse": mse, "test/mae": 0.5, "train_seconds": 3.2})
            for s, mse in ((0, 0.40), (1, 0.44))]
    runs.append(fake_run(tmp_path / "linear", 0, None, task={"_target_": forecaster, "model": "linear",
                                                             "instance_norm": "none", "loss": "mse"},
                         metrics={"test/mse": 0.35, "test/mae": 0.4, "train_seconds": 1.5}))
    runs.append(fake_run(tmp_path / "normed", 0, None, task={"_target_": forecaster, "model": "linear",
                                                             "instance_norm": "last", "loss": "mae"},
                         metrics={"test/mse": 0.30, "test/mae": 0.4, "train_seconds": 1.5}))
    table = summary_table(load_runs(runs))
    assert table.splitlines()[0] == "| data | encoder | seeds | test/mae | test/mse | train_seconds |"
    assert "| trec | LSTM | 0,1 | 0.5000 ± 0.0000 | 0.4200 ± 0.0283 | 3.2 ± 0.0 |" in table
    assert "| trec | DLinear | 0 | 0.4000 | 0.3500 | 1.5 |" in table  # the published form
    assert "| trec | linear (last norm, mae loss) | 0 | 0.4000 | 0.3000 | 1.5 |" in table
