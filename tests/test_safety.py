"""Checkpoints and configs cannot run code: a checkpoint needing more than tensors and plain data is
refused, and a config (or a checkpoint's stored config) builds only the project's own components."""

import shutil
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from seqtasks.config.checks import check_config
from seqtasks.config.compose import load_config
from seqtasks.config.safety import check_stored_targets
from seqtasks.export.predict import predict
from seqtasks.reports import evaluate
from seqtasks.reports.runs import read_checkpoint
from seqtasks.training.train import train
from tests.conftest import script_error


class Payload:
    """Unpickling it would create a file: the proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture
def poisoned_ckpt(tiny_run, tmp_path):
    ckpt = torch.load(tiny_run / "checkpoints" / "best.ckpt", weights_only=True)
    ckpt["hyper_parameters"]["extra"] = Payload(tmp_path / "pwned")
    path = tmp_path / "poisoned.ckpt"
    torch.save(ckpt, path)
    return path


def test_a_checkpoint_with_a_pickled_object_is_refused(poisoned_ckpt, tmp_path):
    with pytest.raises(ValueError, match=r"poisoned.ckpt is refused: it holds more than tensors and plain "
                                         r"data \(it would import \S*open\)"):
        predict(poisoned_ckpt, ["a text"])
    assert not (tmp_path / "pwned").exists()


def test_scripts_refuse_it_in_one_line(poisoned_ckpt, monkeypatch):
    message = script_error(monkeypatch, "evaluate.py", f"ckpt={poisoned_ckpt}")
    assert message.startswith("error: ") and "is refused" in message and "\n" not in message


def test_resume_refuses_it_before_training(poisoned_ckpt, tiny_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    shutil.copy(poisoned_ckpt, run_dir / "checkpoints" / "interrupted.ckpt")
    stored = torch.load(run_dir / "checkpoints" / "best.ckpt", weights_only=True)["seqtasks_config"]
    cfg = OmegaConf.create({**stored, "output_dir": str(run_dir), "resume": True})
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml({**stored, "output_dir": str(run_dir)}))
    with pytest.raises(ValueError, match="interrupted.ckpt is refused"):
        train(cfg)
    assert not (tmp_path / "pwned").exists()


def stored(tiny_run, tmp_path, change) -> Path:
    """A copy of the tiny run's best checkpoint whose stored config `change(config)` edited."""
    ckpt = torch.load(tiny_run / "checkpoints" / "best.ckpt", weights_only=True)
    change(ckpt["seqtasks_config"])
    torch.save(ckpt, tmp_path / "model.ckpt")
    return tmp_path / "model.ckpt"


@pytest.mark.parametrize("target", ["os.system", "builtins.eval", "seqtasks.training.train.os.system",
                                    "pytorch_lightning.loggers.WandbLogger",
                                    "pytorch_lightning.callbacks.EarlyStopping",
                                    "seqtasks.export.predict.write_records",
                                    "seqtasks.data.audio.speech.synthesize_digits"])
def test_a_stored_encoder_builds_only_seqtasks_components(tiny_run, tmp_path, target):
    path = stored(tiny_run, tmp_path, lambda c: c["encoder"].update(_target_=target))
    refused = rf"encoder._target_='{target}' is not allowed: a stored config builds only seqtasks models"
    with pytest.raises(ValueError, match=refused):
        predict(path, ["a text"])
    with pytest.raises(ValueError, match=refused):
        evaluate(ckpt=path, out=tmp_path / "report")
    assert not (tmp_path / "report").exists()


def test_a_checkpoint_config_may_not_build_a_function_in_a_nested_node(tiny_run, tmp_path):
    path = stored(tiny_run, tmp_path,
                  lambda c: c["data"].update(files={"_target_": "subprocess.run", "args": ["true"]}))
    with pytest.raises(ValueError, match=r"config.data.files._target_='subprocess.run' is not allowed"):
        read_checkpoint(path)


def test_how_a_run_was_driven_is_never_built_so_any_class_may_be_named_there(tiny_run, tmp_path):
    """trainer/logger/callbacks of a stored config are the user's own command line, never built from
    a checkpoint: a custom callback (or a plugin from lightning_fabric) does not block predict or
    resume; an interpolation there is still refused."""
    custom = {"mine": {"_target_": "mypackage.callbacks.Custom"}}
    path = stored(tiny_run, tmp_path, lambda c: c.update(callbacks=custom))
    assert predict(path, ["goal"]) == predict(tiny_run / "checkpoints" / "best.ckpt", ["goal"])
    path = stored(tiny_run, tmp_path, lambda c: c.update(callbacks={"x": {"patience": "${oc.env:HOME}"}}))
    with pytest.raises(ValueError, match=r"callbacks.x.patience is refused: a stored config is data"):
        read_checkpoint(path)


def test_the_users_own_config_may_build_any_class_it_names(tmp_path):
    """The composed config is the user's own command line: Lightning's callbacks and loggers beyond
    the shipped groups pass the checks (nothing is limited to seqtasks classes there)."""
    cfg = load_config(["callbacks=[early_stopping,lr_monitor]", f"output_dir={tmp_path}",
                       "+callbacks.timer._target_=pytorch_lightning.callbacks.Timer",
                       "+callbacks.timer.duration=00:00:10:00"])
    check_config(cfg)
    with pytest.raises(ValueError, match=r"callbacks.timer._target_='nowhere.Timer' cannot be imported"):
        check_config(load_config(["+callbacks.timer._target_=nowhere.Timer", f"output_dir={tmp_path}"]))


def test_a_stored_config_of_the_projects_own_components_is_allowed():
    check_stored_targets(load_config(["task=forecast", "logger=[csv,tensorboard,mlflow]",
                                      "callbacks=[early_stopping,lr_monitor,model_summary]", "output_dir=x"]))
