"""A bad configuration stops before any data is read, with one line naming the key and what it
accepts: unknown keys, wrong types, values out of range, devices that do not exist."""

import os

import pytest
import torch

from seqtasks.config.compose import load_config
from seqtasks.training.train import train
from tests.conftest import script_error

NOWHERE = "/nonexistent/data"  # read it, and the error would name it instead


TEXT = ("data=files", f"data.root={NOWHERE}")
FORECAST = ("task=forecast", "data=series", f"data.path={NOWHERE}/series.csv")


def config_error(tmp_path, *overrides: str, data=TEXT) -> str:
    """The error train() raises for the config of `data` with `overrides`; no run directory."""
    cfg = load_config([*data, "trainer=cpu", f"output_dir={tmp_path}/run", *overrides])
    with pytest.raises((ValueError, TypeError)) as info:
        train(cfg)
    assert not (tmp_path / "run").exists()
    assert "\n" not in str(info.value)
    return str(info.value)


def test_unknown_override_key_names_the_keys_there_are(monkeypatch, tmp_path):
    message = script_error(monkeypatch, "train.py", "encoder.hidden=8", f"output_dir={tmp_path}/run")
    assert message.startswith("error: unknown key encoder.hidden; encoder has: hidden_size, num_layers,")
    assert "\n" not in message
    assert "+encoder.hidden" not in message  # LSTMEncoder takes no **kwargs: adding the key cannot help
    message = script_error(monkeypatch, "train.py", "trainer.fast_dev_run=1", f"output_dir={tmp_path}/run")
    assert message.endswith("(+trainer.fast_dev_run=VALUE adds a key the config does not list)")


def test_an_added_key_must_be_an_argument_of_its_class(tmp_path):
    assert config_error(tmp_path, "+encoder.hidden=8").startswith(
        "unknown key encoder.hidden; encoder (seqtasks.encoders.LSTMEncoder) accepts: input_size, "
        "hidden_size")


@pytest.mark.parametrize("override, message", [
    ("encoder.hidden_size=abc", "encoder.hidden_size='abc' has the wrong type; expected int"),
    ("task.lr=fast", "task.lr='fast' has the wrong type; expected float"),
    ("trainer.max_epochs=[1]", "trainer.max_epochs=[1] has the wrong type; expected int or null"),
    ("seed=one", "seed='one' has the wrong type; expected int"),
    ("seed=-1", "seed=-1 must lie in [0, 2**32)"),
])
def test_wrong_types(tmp_path, override, message):
    assert config_error(tmp_path, override) == message


@pytest.mark.parametrize("overrides, message", [
    (["encoder.hidden_size=-4"], "encoder.hidden_size=-4 must be a positive int"),
    (["encoder.dropout=1.0"], r"encoder.dropout=1.0 must be in [0, 1)"),
    (["task.dropout=1.5"], r"task.dropout=1.5 must be in [0, 1)"),
    (["task.pooling=sum"], "task.pooling='sum' is not one of ['last', 'mean', 'max', 'attention']"),
    (["ema_decay=1.0"], "ema_decay=1.0 must lie in (0, 1), or be null (no averaging)"),
    (["task.adversarial_eps=-1"], "task.adversarial_eps=-1 must be a number >= 0"),
])
def test_values_out_of_range(tmp_path, overrides, message):
    assert config_error(tmp_path, *overrides) == message


def test_segment_length_that_does_not_divide_the_lookback_is_found_before_the_series_is_read(tmp_path):
    assert config_error(tmp_path, "task.segment_length=5", "data.lookback=24", data=FORECAST) == (
        "task.segment_length=5 must divide the lookback 24 (data.lookback)")


def test_forecast_horizon_zero(tmp_path):
    assert config_error(tmp_path, "data.horizon=0", data=FORECAST) == "data.horizon=0 must be a positive int"


def test_more_devices_than_exist(tmp_path):
    cores = os.cpu_count()
    message = config_error(tmp_path, "trainer=ddp", "trainer.accelerator=cpu", f"trainer.devices={cores + 1}")
    assert message == (
        f"trainer.devices={cores + 1} but this machine has {cores} CPU core(s) "
        f"(trainer.accelerator=cpu); choose 1..{cores}, -1 (all) or auto")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_gpu_preset_without_a_gpu(tmp_path):
    assert config_error(tmp_path, "trainer=gpu") == (
        "trainer.accelerator=gpu but this machine has no GPU; use trainer=cpu or trainer.accelerator=auto")


def test_train_script_reports_a_value_error_in_one_line(monkeypatch, tmp_path):
    message = script_error(monkeypatch, "train.py", "trainer=cpu", "encoder.dropout=2",
                           f"output_dir={tmp_path}/run")
    assert message == "error: encoder.dropout=2 must be in [0, 1)"


def test_processes_started_together_need_an_output_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "test")  # as under torchrun
    monkeypatch.chdir(tmp_path)  # Hydra makes its default run directory before the check
    assert script_error(monkeypatch, "train.py", "trainer=cpu") == (
        "error: processes started together (torchrun, srun) need output_dir=DIR: each would otherwise "
        "pick its own timestamped run directory")


@pytest.mark.parametrize("native, expected", [(True, "bf16-mixed"), (False, "16-mixed")])
def test_bf16_falls_back_to_16_mixed_on_a_gpu_that_would_only_emulate_it(monkeypatch, native, expected):
    from seqtasks.runtime.devices import supported_precision

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    # torch's default (including_emulation=True) says True on pre-Ampere GPUs too
    monkeypatch.setattr(torch.cuda, "is_bf16_supported",
                        lambda including_emulation=True: native or including_emulation)
    assert supported_precision("bf16-mixed", "gpu") == expected
    assert supported_precision("32", "gpu") == "32"


@pytest.mark.parametrize("devices, ok", [("0,1", True), ([0, 1], True), ("1", True), ("0,2", False),
                                         ([3], False), (0, False)])
def test_gpu_indices_are_accepted_when_they_exist(monkeypatch, devices, ok):
    from seqtasks.runtime.devices import check_devices

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    trainer = {"accelerator": "gpu", "devices": devices}
    if ok:
        check_devices(trainer)
    else:
        with pytest.raises(ValueError, match=r"trainer.devices=.* but this machine has 2 GPU\(s\)"):
            check_devices(trainer)
