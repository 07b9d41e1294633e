"""compare: seeds grouped into mean ± std, a real multirun sweep, and runs of different tasks refused."""

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from seqtasks.config.compose import CONFIG_DIR, job_output_dir
from seqtasks.reports.compare import compare
from tests.conftest import make_rows, script_error, write_csv
from tests.test_reports import md_tables

ROOT = Path(__file__).resolve().parents[1]


def fake_run(path: Path, task: str) -> Path:
    path.mkdir(parents=True)
    cfg = {"seed": 0, "task": {"_target_": f"seqtasks.tasks.{task}"}, "data": {"root": "/x/d"},
           "encoder": {"_target_": "seqtasks.encoders.LSTMEncoder"}}
    (path / "config.yaml").write_text(yaml.safe_dump(cfg))
    (path / "metrics.json").write_text(json.dumps({"test/acc": 0.5}))
    return path


def test_runs_of_different_tasks_are_refused_in_one_line(tmp_path, monkeypatch):
    runs = [fake_run(tmp_path / "a", "SequenceClassifier"), fake_run(tmp_path / "b", "Forecaster")]
    expected = (r"cannot compare runs of different tasks \(Forecaster, SequenceClassifier\): "
                r".*a \(SequenceClassifier\), .*b \(Forecaster\)")
    with pytest.raises(ValueError, match=expected):
        compare(runs, out=tmp_path / "cmp")
    message = script_error(monkeypatch, "compare.py", *map(str, runs))
    assert message.startswith("error: cannot compare runs of different tasks") and "\n" not in message
    assert not (tmp_path / "cmp").exists()


def test_a_run_directory_naming_another_module_is_refused_before_importing_it(tmp_path):
    run = fake_run(tmp_path / "a", "SequenceClassifier")
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    cfg["task"]["_target_"] = "this.SequenceClassifier"  # importing `this` would print the Zen
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match=r"a/config.yaml.task._target_='this.SequenceClassifier' is not "
                                         r"allowed: a stored config builds only seqtasks"):
        compare([run], out=tmp_path / "cmp")
    assert "this" not in sys.modules


def test_nothing_to_compare_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="give at least one RUN_DIR"):
        compare([])
    assert "has no metrics.json" in script_error(monkeypatch, "compare.py", str(tmp_path))


def test_one_output_dir_for_a_multirun_is_refused():
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("train", overrides=["output_dir=runs/x"], return_hydra_config=True)
    cfg.hydra.mode = RunMode.MULTIRUN
    HydraConfig.instance().set_config(cfg)
    try:
        with pytest.raises(ValueError, match="output_dir names one directory but -m runs several jobs; "
                                             "set hydra.sweep.dir=DIR"):
            job_output_dir(cfg)
    finally:
        HydraConfig.instance().cfg = None


@pytest.mark.slow
def test_multirun_gives_each_job_a_run_dir_and_compare_groups_seeds(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(60, seed=1))
    write_csv(tmp_path / "test.csv", make_rows(24, seed=2))
    sweep = tmp_path / "sweep"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), "-m", "encoder=rnn,lstm", "seed=1,2",
         "data=files", f"data.root={tmp_path}", f"data.cache_dir={tmp_path}/cache", "trainer=cpu",
         "trainer.max_epochs=1", "encoder.hidden_size=8", "task.embedding_dim=8", f"hydra.sweep.dir={sweep}"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dirs = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert [p.name for p in run_dirs] == ["0_text_rnn_seed1", "1_text_rnn_seed2", "2_text_lstm_seed1",
                                          "3_text_lstm_seed2"]
    for run_dir in run_dirs:
        assert yaml.safe_load((run_dir / "config.yaml").read_text())["output_dir"] == str(run_dir)
        assert (run_dir / "checkpoints" / "best.ckpt").is_file() and (run_dir / "train.log").is_file()
        assert "seed=" in json.loads((run_dir / "run_info.json").read_text())["command"]

    path = compare(run_dirs, out=tmp_path / "cmp")
    (groups,) = md_tables(path.with_suffix(".md").read_text())["Mean and spread over seeds"]
    header, rows = groups[0], {r[0]: r for r in groups[1:]}
    assert set(rows) == {f"{tmp_path.name} / LSTM", f"{tmp_path.name} / RNN"}
    for encoder, dirs in (("LSTM", run_dirs[2:]), ("RNN", run_dirs[:2])):
        row = rows[f"{tmp_path.name} / {encoder}"]
        assert row[1:3] == ["2", "1,2"]
        accs = [json.loads((d / "metrics.json").read_text())["test/acc"] * 100 for d in dirs]
        cell = row[header.index("test/acc")]
        assert cell == f"{statistics.fmean(accs):.1f} ± {statistics.stdev(accs):.1f}"
    data = json.loads((path.parent / "metrics.json").read_text())
    assert set(data["per_class_f1"]) == set(rows)
    assert (path.parent / "learning_curves.png").stat().st_size > 1000


def test_per_class_f1_refuses_runs_with_other_classes():
    from types import SimpleNamespace

    from seqtasks.reports.tasks.classification import per_class_differences

    def context(run_dir, names):
        model = SimpleNamespace(hparams=SimpleNamespace(label_names=names))
        return SimpleNamespace(run=SimpleNamespace(model=model, run_dir=run_dir), outputs=None)

    groups = [("bbc", [context("a", ["business", "sport"])]),
              ("trec", [context("b", ["ABBR", "DESC", "HUM"])])]
    with pytest.raises(ValueError, match=r"per-class F1: b has classes \['ABBR', 'DESC', 'HUM'\]"):
        per_class_differences(groups)


def test_two_groups_on_the_same_rows_get_a_paired_difference(text_root, tmp_path):
    from seqtasks.training.train import train
    from tests.conftest import tiny_config

    runs = [tmp_path / name for name in ("lstm0", "lstm1", "rnn0")]
    for run, extra in zip(runs, (["seed=0"], ["seed=1"], ["seed=0", "encoder=rnn"]), strict=True):
        train(tiny_config(text_root, run, *extra))
    compare(runs, out=tmp_path / "cmp", resamples=200)
    saved = json.loads((tmp_path / "cmp" / "metrics.json").read_text())["paired_differences"]
    [(pair, metrics)] = saved.items()
    assert pair == "toy / LSTM - toy / RNN"
    lstm = statistics.fmean(json.loads((r / "metrics.json").read_text())["test/acc"] for r in runs[:2])
    rnn = json.loads((runs[2] / "metrics.json").read_text())["test/acc"]
    diff, low, high = metrics["test/acc"]
    assert diff == pytest.approx(lstm - rnn, abs=1e-6) and low <= diff <= high
