"""Experiment tracking through Lightning's loggers chosen by config; CSV is always written."""

import pytest

from seqtasks.config.compose import check_choices, load_config
from seqtasks.runtime.environment import progress_bar_wanted
from seqtasks.training.tracking import build_loggers
from seqtasks.training.train import train
from tests.conftest import tiny_config


def test_csv_is_the_default_and_always_first(tmp_path):
    assert [type(lg).__name__ for lg in build_loggers(load_config([f"output_dir={tmp_path}"]), tmp_path)] \
        == ["CSVLogger"]
    cfg = load_config(["logger=[tensorboard]", f"output_dir={tmp_path}"])
    assert [type(lg).__name__ for lg in build_loggers(cfg, tmp_path)] == ["CSVLogger", "TensorBoardLogger"]


def test_logger_choices_are_checked_like_other_groups():
    check_choices(["logger=[csv,tensorboard,mlflow]"])
    with pytest.raises(ValueError, match="unknown logger 'wandb'; choose from: csv, mlflow, tensorboard"):
        check_choices(["logger=[csv,wandb]"])


def test_tensorboard_and_mlflow_record_the_run_beside_metrics_csv(text_root, tmp_path):
    store = tmp_path / "mlruns"
    run_dir = tmp_path / "run"
    train(tiny_config(text_root, run_dir, "logger=[tensorboard,mlflow]",
                      f"logger.mlflow.tracking_uri=file:{store}"))
    assert "val/acc" in (run_dir / "metrics.csv").read_text().splitlines()[0]
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    (val_acc,) = store.glob("*/*/metrics/val/acc")  # experiment / run / metrics / val / acc
    assert len(val_acc.read_text().splitlines()) == 2  # epoch 0 and the best checkpoint's validation


def test_trackers_receive_the_whole_config_as_flat_hyperparameters(text_root, tmp_path):
    store = tmp_path / "mlruns"
    run_dir = tmp_path / "run"
    metrics = train(tiny_config(text_root, run_dir, "logger=[tensorboard,mlflow]", "encoder=gru",
                                f"logger.mlflow.tracking_uri=file:{store}"))
    (params,) = store.glob("*/*/params")
    assert (params / "encoder._target_").read_text() == "seqtasks.encoders.GRUEncoder"
    assert (params / "encoder.hidden_size").read_text() == "8"
    assert (params / "trainer.max_epochs").read_text() == "1"
    (seconds,) = store.glob("*/*/metrics/train_seconds")
    assert float(seconds.read_text().split()[1]) == metrics["train_seconds"]
    hparams, test_metrics = tensorboard_hparams(run_dir / "tensorboard")
    assert hparams["encoder._target_"] == "seqtasks.encoders.GRUEncoder" and hparams["seed"] == 0
    assert hparams["encoder.hidden_size"] == 8 and "test/acc" in test_metrics


def test_mlflow_with_log_model_keeps_the_best_checkpoint_and_the_run_files(text_root, tmp_path):
    store = tmp_path / "mlruns"
    train(tiny_config(text_root, tmp_path / "run", "logger=[mlflow]",
                      f"logger.mlflow.tracking_uri=file:{store}", "+logger.mlflow.log_model=true"))
    (artifacts,) = store.glob("*/*/artifacts")
    names = {str(p.relative_to(artifacts)) for p in artifacts.rglob("*") if p.is_file()}
    assert {"run/checkpoints/best.ckpt", "run/config.yaml", "run/metrics.json", "last/last.ckpt"} <= names
    assert (artifacts / "run/metrics.json").read_bytes() == (tmp_path / "run/metrics.json").read_bytes()


def tensorboard_hparams(log_dir) -> tuple[dict, set]:
    """What TensorBoard's HParams tab reads from the event files: the one hparams record's values and
    the metric names it lists."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    events = EventAccumulator(str(log_dir))
    events.Reload()
    records = events.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(records["_hparams_/session_start_info"])
    experiment = plugin_data_pb2.HParamsPluginData.FromString(records["_hparams_/experiment"])
    values = {k: v.string_value or v.number_value or v.bool_value
              for k, v in start.session_start_info.hparams.items()}
    return values, {m.name.tag for m in experiment.experiment.metric_infos}

@pytest.mark.parametrize("tty, ci, wanted", [(True, None, True), (False, None, False), (True, "true", False)])
def test_progress_bar_only_on_a_terminal_outside_ci(monkeypatch, tty, ci, wanted):
    monkeypatch.setattr("sys.stderr.isatty", lambda: tty)
    for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL"):
        monkeypatch.delenv(name, raising=False)
    if ci:
        monkeypatch.setenv("CI", ci)
    assert progress_bar_wanted() is wanted
    assert progress_bar_wanted(enabled=False) is False
