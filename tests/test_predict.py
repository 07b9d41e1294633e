"""Prediction from a checkpoint alone: records, agreement with the report, input files, the script."""

import json
from pathlib import Path

import pytest
import torch

from seqtasks.export.predict import predict
from seqtasks.reports.registry import collect_test, task_report_for
from seqtasks.reports.runs import load_run
from tests.conftest import run_script, script_error


@pytest.fixture(scope="module")
def orphan_ckpt(tiny_run, tmp_path_factory) -> Path:
    """The best checkpoint copied alone, its data config pointing nowhere: nothing else is read."""
    ckpt = torch.load(tiny_run / "checkpoints" / "best.ckpt", weights_only=True)
    ckpt["seqtasks_config"]["data"]["root"] = "/nonexistent/data"
    path = tmp_path_factory.mktemp("orphan") / "model.ckpt"
    torch.save(ckpt, path)
    return path


def test_records_have_input_prediction_and_probabilities(orphan_ckpt):
    records = predict(orphan_ckpt, ["the goal of the match", "new phone code", ""])
    assert [r["input"] for r in records] == ["the goal of the match", "new phone code", ""]
    for r in records:
        assert set(r["probabilities"]) == {"food", "sport", "tech"}
        assert sum(r["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert r["prediction"] == max(r["probabilities"], key=r["probabilities"].get)


def test_predictions_match_the_evaluation_of_the_same_texts(tiny_run, orphan_ckpt):
    run = load_run(run=tiny_run)
    ctx = collect_test(run, task_report_for(type(run.model)))
    texts = run.datamodule.describe("test", ctx.rows)
    records = predict(orphan_ckpt, texts, batch_size=5)  # other batches, other padding
    for record, probs in zip(records, ctx.outputs["probs"], strict=True):
        assert list(record["probabilities"].values()) == pytest.approx(probs.tolist(), abs=1e-5)


def test_text_file_gives_one_input_per_non_blank_line(orphan_ckpt, tmp_path):
    (tmp_path / "in.txt").write_text("bread soup\n\n  \nchip code\n")
    records = predict(orphan_ckpt, [str(tmp_path / "in.txt")])
    assert [r["input"] for r in records] == ["bread soup", "chip code"]
    with pytest.raises(FileNotFoundError, match="inputs: text file .*missing.txt does not exist"):
        predict(orphan_ckpt, [str(tmp_path / "missing.txt")])
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(ValueError, match="inputs: nothing to predict"):
        predict(orphan_ckpt, [str(tmp_path / "empty.txt")])


def test_predict_script_writes_json_lines_to_stdout_or_a_file(orphan_ckpt, monkeypatch, capsys, tmp_path):
    run_script(monkeypatch, "predict.py", f"ckpt={orphan_ckpt}", "inputs=[bread and cheese, 'goal, match']")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["input"] for r in lines] == ["bread and cheese", "goal, match"]
    run_script(monkeypatch, "predict.py", f"ckpt={orphan_ckpt}", "inputs=[soup]", f"out={tmp_path}/p.jsonl")
    assert json.loads((tmp_path / "p.jsonl").read_text())["input"] == "soup"


def test_predict_script_names_a_bad_argument(orphan_ckpt, monkeypatch):
    message = script_error(monkeypatch, "predict.py", f"ckpt={orphan_ckpt}", "input=[x]")
    assert message == "error: unknown argument(s) ['input']; keys: ckpt, model, inputs, out, batch_size, "\
        "device, threads, mode, segments"
    assert script_error(monkeypatch, "predict.py", "ckpt=nowhere.ckpt", "inputs=[x]") == \
        "error: ckpt=nowhere.ckpt does not exist"


def test_out_is_checked_before_any_prediction(tiny_run, tmp_path, monkeypatch):
    import seqtasks.export.predict as predict_module

    monkeypatch.setattr(predict_module, "predict", lambda *a, **k: pytest.fail("predicted before out= check"))
    (tmp_path / "file").write_text("x")
    for out, reason in ((tmp_path, "is a folder"), (tmp_path / "file" / "p.jsonl", "cannot be written")):
        message = script_error(monkeypatch, "predict.py", f"ckpt={tiny_run}/checkpoints/best.ckpt",
                               "inputs=[goal]", f"out={out}")
        assert message.startswith(f"error: out={out} {reason}")


def test_a_truncated_metrics_json_is_named(tiny_run, tmp_path, monkeypatch):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir, ignore=shutil.ignore_patterns("report*"))
    (run_dir / "metrics.json").write_text('{"test/acc": 0.9, "val/')
    message = script_error(monkeypatch, "summarize.py", str(run_dir))
    assert message.startswith(f"error: {run_dir}/metrics.json is not valid JSON (")


def test_a_prediction_that_is_not_finite_is_refused_not_printed(tmp_path, capsys):
    from seqtasks.export.predict import write_records

    with pytest.raises(ValueError, match=r"the prediction for 'recent.csv' is not finite \(NaN or inf\)"):
        write_records([{"input": "a.csv", "forecast": {"y": [1.0]}},
                       {"input": "recent.csv", "forecast": {"y": [float("nan")]}}], tmp_path / "p.jsonl")
    assert not (tmp_path / "p.jsonl").exists() and capsys.readouterr().out == ""
