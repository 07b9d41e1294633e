"""Checkpoints and configs cannot run code: a checkpoint needing more than tensors and plain data is
refused, and a config (or a checkpoint's stored config) builds only the project's own components."""

import shutil

import pytest
import torch
from omegaconf import OmegaConf

from seqtasks.config.compose import load_config
from seqtasks.config.safety import check_targets
from seqtasks.export.predict import predict
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


@pytest.mark.parametrize("target", ["os.system", "builtins.eval", "seqtasks.training.train.os.system",
                                    "pytorch_lightning.loggers.WandbLogger",
                                    "seqtasks.export.predict.write_records",
                                    "seqtasks.data.audio.speech.synthesize_digits"])
def test_a_config_may_not_build_other_code(target, tmp_path):
    cfg = load_config([f"encoder._target_={target}", f"output_dir={tmp_path}/run"])
    with pytest.raises(ValueError, match=rf"encoder._target_='{target}' is not allowed: a config "
                                         r"builds only seqtasks models and datamodules, pytorch_lightning"):
        train(cfg)


def test_a_checkpoint_config_may_not_either(tiny_run, tmp_path):
    ckpt = torch.load(tiny_run / "checkpoints" / "best.ckpt", weights_only=True)
    ckpt["seqtasks_config"]["data"]["files"] = {"_target_": "subprocess.run", "args": ["true"]}
    torch.save(ckpt, tmp_path / "model.ckpt")
    with pytest.raises(ValueError, match=r"config.data.files._target_='subprocess.run' is not allowed"):
        read_checkpoint(tmp_path / "model.ckpt")


def test_the_projects_own_components_are_allowed():
    check_targets(load_config(["task=forecast", "logger=[csv,tensorboard,mlflow]", "output_dir=x"]))
