"""A stored config is data, never instructions: checkpoints and run directories whose config holds an
OmegaConf interpolation, a resolver call or a `_target_` to a function are refused by predict,
evaluate, compare and resume before anything is built, and nothing is written."""

import os
import shutil
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from seqtasks.export.predict import predict
from seqtasks.reports import evaluate
from seqtasks.reports.compare import compare
from seqtasks.training.train import train
from tests.conftest import script_error, tiny_config


def write_file_payload(target: Path) -> str:
    """The issue's payload: resolving it calls pathlib.Path.write_text(target, 'owned')."""
    return ("${oc.create:{_target_: pathlib.Path.write_text, _args_: [{_target_: pathlib.Path, "
            f"_args_: ['{target}']}}, 'owned']}}}}")


@pytest.fixture(autouse=True)
def touch_resolver():
    """A custom resolver that creates its argument: if anything resolved it, the file exists."""
    OmegaConf.register_new_resolver("touch", lambda path: Path(path).touch() or "x", replace=True)
    yield
    OmegaConf.clear_resolver("touch")


PAYLOADS = {  # (key path in seqtasks_config, value); {target} is the file a resolution would write
    "data key, oc.create": (("data", "cache_dir"), "oc.create"),
    "encoder key, oc.create": (("encoder", "dropout"), "oc.create"),
    "trainer key, oc.create": (("trainer", "max_epochs"), "oc.create"),
    "data key, custom resolver": (("data", "root"), "${touch:{target}}"),
    "nested _args_, custom resolver": (("data", "files"),
                                       {"_target_": "seqtasks.data.text.datamodule.TextDataModule",
                                        "_args_": [{"x": "${touch:{target}}"}]}),
    "encoder key, oc.env": (("encoder", "impl"), "${oc.env:HOME}"),
    "task key, oc.decode": (("task", "optimizer"), "${oc.decode:'{{_target_: os.system, _args_: [ls]}}'}"),
}


def poison(config: dict, where: tuple, value, target: Path) -> dict:
    """`config` with the payload `value` at the key path `where`."""
    node = config
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = write_file_payload(target) if value == "oc.create" else _fill(value, target)
    return config


def _fill(node, target: Path):
    if isinstance(node, dict):
        return {k: _fill(v, target) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, target) for v in node]
    return node.replace("{target}", str(target))


def poisoned_run(tiny_run: Path, tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A copy of the tiny run whose checkpoints and config.yaml carry the payload `name`; the path
    a successful attack would write."""
    where, value = PAYLOADS[name]
    target = tmp_path / "owned.txt"
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir, ignore=shutil.ignore_patterns("report*"))
    for ckpt_path in (run_dir / "checkpoints").glob("*.ckpt"):
        ckpt = torch.load(ckpt_path, weights_only=True)
        poison(ckpt["seqtasks_config"], where, value, target)
        torch.save(ckpt, ckpt_path)
    stored = OmegaConf.to_container(OmegaConf.load(run_dir / "config.yaml"))
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(poison(stored, where, value, target)))
    return run_dir, target


REFUSED = r"is refused: a stored config is data, but .* is an interpolation"


@pytest.mark.parametrize("name", PAYLOADS)
def test_predict_refuses_an_interpolation_in_a_stored_config(tiny_run, tmp_path, name):
    run_dir, target = poisoned_run(tiny_run, tmp_path, name)
    key = ".".join(PAYLOADS[name][0])
    with pytest.raises(ValueError, match=rf"seqtasks_config\.{key}.*{REFUSED}"):
        predict(run_dir / "checkpoints" / "best.ckpt", ["goal match"])
    assert not target.exists()


@pytest.mark.parametrize("name", ["data key, oc.create", "encoder key, oc.create",
                                  "nested _args_, custom resolver"])
def test_evaluate_and_compare_refuse_it_and_write_nothing(tiny_run, tmp_path, name):
    run_dir, target = poisoned_run(tiny_run, tmp_path, name)
    with pytest.raises(ValueError, match=REFUSED):
        evaluate(run=run_dir, resamples=10)
    with pytest.raises(ValueError, match=REFUSED):
        compare([run_dir], out=tmp_path / "compare")
    assert not target.exists()
    assert not (run_dir / "report").exists() and not (tmp_path / "compare").exists()


def test_the_scripts_refuse_it_in_one_line(tiny_run, tmp_path, monkeypatch):
    run_dir, target = poisoned_run(tiny_run, tmp_path, "data key, oc.create")
    for script, args, where in (
            ("predict.py", [f"ckpt={run_dir}/checkpoints/best.ckpt", "inputs=[goal]"], "seqtasks_config"),
            ("evaluate.py", [f"run={run_dir}"], "seqtasks_config"),
            ("compare.py", [str(run_dir)], f"{run_dir}/config.yaml")):  # compare reads config.yaml first
        message = script_error(monkeypatch, script, *args)
        assert message.startswith("error: ") and "\n" not in message
        assert f"{where}.data.cache_dir is refused" in message
    assert not target.exists()


@pytest.mark.parametrize("name", ["data key, oc.create", "data key, custom resolver"])
def test_resume_refuses_a_run_directory_that_carries_it(tiny_run, tmp_path, name):
    run_dir, target = poisoned_run(tiny_run, tmp_path, name)
    cfg = tiny_config(tmp_path, run_dir, "resume=true")
    with pytest.raises(ValueError, match=rf"config.yaml: data\.\w+ {REFUSED}"):
        train(cfg)
    assert not target.exists()


def test_a_nested_target_to_a_function_is_refused(tiny_run, tmp_path):
    ckpt = torch.load(tiny_run / "checkpoints" / "best.ckpt", weights_only=True)
    ckpt["seqtasks_config"]["encoder"]["dropout"] = {
        "_target_": "seqtasks.encoders.LSTMEncoder",
        "_args_": [{"_target_": "pathlib.Path.write_text", "_args_": [str(tmp_path / "owned.txt"), "x"]}]}
    torch.save(ckpt, tmp_path / "model.ckpt")
    with pytest.raises(ValueError, match=r"encoder.dropout._args_\[0\]._target_='pathlib.Path.write_text' "
                                         r"is not allowed"):
        predict(tmp_path / "model.ckpt", ["goal"])
    assert not (tmp_path / "owned.txt").exists()


def test_a_seqtasks_function_is_not_a_component(tiny_run, tmp_path):
    ckpt = torch.load(tiny_run / "checkpoints" / "best.ckpt", weights_only=True)
    ckpt["seqtasks_config"]["data"]["_target_"] = "seqtasks.export.predict.write_records"
    torch.save(ckpt, tmp_path / "model.ckpt")
    with pytest.raises(ValueError, match=r"data._target_='seqtasks.export.predict.write_records' is not "
                                         r"allowed"):
        predict(tmp_path / "model.ckpt", ["goal"])


@pytest.fixture
def best_bytes(tiny_run) -> bytes:
    return (tiny_run / "checkpoints" / "best.ckpt").read_bytes()


@pytest.mark.parametrize("content", ["truncated", "random", "empty"])
def test_an_unreadable_file_gets_one_line_and_no_advice_to_load_it_unsafely(best_bytes, tmp_path,
                                                                           monkeypatch, content):
    path = tmp_path / "bad.ckpt"
    path.write_bytes({"truncated": best_bytes[: len(best_bytes) // 2], "random": os.urandom(4096),
                      "empty": b""}[content])
    for script, args in (("predict.py", [f"ckpt={path}", "inputs=[goal]"]),
                         ("evaluate.py", [f"ckpt={path}"])):
        message = script_error(monkeypatch, script, *args)
        assert message == (f"error: {path} is not a readable checkpoint ({path.stat().st_size:,} bytes): the "
                           "file is truncated, corrupt or not a PyTorch checkpoint; use the run's "
                           "checkpoints/best.ckpt or train again")
        assert "weights_only" not in message


def test_another_programs_checkpoint_is_named_as_such(tmp_path):
    torch.save({"model": {"w": torch.ones(2)}, "epoch": 3}, tmp_path / "other.ckpt")
    with pytest.raises(ValueError, match=r"other.ckpt is not a seqtasks checkpoint: it has no "
                                         r"seqtasks_config \(found \['epoch', 'model'\]\)"):
        predict(tmp_path / "other.ckpt", ["goal"])


def test_a_checkpoint_of_a_newer_format_names_its_version(tiny_run, tmp_path):
    ckpt = torch.load(tiny_run / "checkpoints" / "best.ckpt", weights_only=True)
    assert ckpt["seqtasks_format"] == 1  # what this version writes
    ckpt.update(seqtasks_format=7, seqtasks_version="9.0.0")
    torch.save(ckpt, tmp_path / "new.ckpt")
    with pytest.raises(ValueError, match=r"new.ckpt was written by seqtasks 9.0.0 \(checkpoint format 7\); "
                                         r"this seqtasks \S+ reads formats up to 1"):
        predict(tmp_path / "new.ckpt", ["goal"])


def test_an_older_checkpoint_without_a_format_still_loads(tiny_run, tmp_path):
    ckpt = torch.load(tiny_run / "checkpoints" / "best.ckpt", weights_only=True)
    for key in ("seqtasks_format", "seqtasks_version"):
        del ckpt[key]
    torch.save(ckpt, tmp_path / "old.ckpt")
    texts = ["goal match team", "chip code"]
    assert predict(tmp_path / "old.ckpt", texts) == predict(tiny_run / "checkpoints" / "best.ckpt", texts)


def test_a_checkpoint_of_0_1_with_its_removed_options_still_predicts_the_same(tiny_run, tmp_path):
    ckpt = torch.load(tiny_run / "checkpoints" / "best.ckpt", weights_only=True)
    for key in ("seqtasks_format", "seqtasks_version"):
        del ckpt[key]
    ckpt["hyper_parameters"].update(word_dropout=0.1, unk_id=1, lm_weight=0.5, mixup_alpha=0.2)
    ckpt["state_dict"]["neighbour_words.next.weight"] = torch.zeros(3, 3)  # lm_weight's own head
    torch.save(ckpt, tmp_path / "old.ckpt")
    texts = ["goal match team", "chip code"]
    assert predict(tmp_path / "old.ckpt", texts) == predict(tiny_run / "checkpoints" / "best.ckpt", texts)
