"""The evaluation report of a tiny real run: files, tables, images and numbers that agree."""

import base64
import io
import json
import re

import matplotlib.image
import numpy as np
import pytest

from seqtasks.reports import evaluate, task_report_for
from seqtasks.reports.bootstrap import bootstrap_ci, paired_difference
from seqtasks.reports.evaluate import report_dir
from seqtasks.reports.runs import read_epoch_metrics
from seqtasks.reports.sections import fmt
from seqtasks.tasks import SequenceClassifier
from seqtasks.training.train import train
from tests.conftest import make_rows, tiny_config, write_csv

LABELS = ["food", "sport", "tech"]


def md_tables(markdown: str) -> dict[str, list[list[list[str]]]]:
    """{section title: [table as rows of cells, header first]} from report.md."""
    tables: dict[str, list] = {}
    for chunk in markdown.split("\n## ")[1:]:
        title, _, body = chunk.partition("\n")
        current = None
        for line in body.splitlines():
            if line.startswith("|") and not line.startswith("|---"):
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
                if current is None:
                    current = []
                    tables.setdefault(title, []).append(current)
                current.append(cells)
            elif not line.startswith("|---"):
                current = None
    return tables


@pytest.fixture(scope="module")
def report(tiny_report):
    out = tiny_report.parent
    return {"dir": out, "md": (out / "report.md").read_text(), "html": tiny_report.read_text(),
            "json": json.loads((out / "metrics.json").read_text()),
            "run_metrics": json.loads((out.parent / "metrics.json").read_text())}


def test_report_writes_html_markdown_json_and_pngs(report):
    names = {p.name for p in report["dir"].iterdir()}
    assert {"report.html", "report.md", "metrics.json", "learning_curves.png",
            "confusion_matrix.png", "gradient_by_distance.png"} <= names
    assert len([n for n in names if n.startswith("gates_row")]) == 3  # an LSTM run: 3 examples


def test_every_table_has_the_expected_rows(report):
    tables, data = md_tables(report["md"]), report["json"]
    (metrics,) = tables["Test metrics"]
    assert [r[0] for r in metrics[1:]] == ["test/acc", "test/f1_macro", "test/loss"]
    counts, shares = tables["Confusion matrix"]
    assert counts[0] == ["true \\ predicted"] + LABELS and [r[0] for r in counts[1:]] == LABELS
    assert [r[0] for r in shares[1:]] == LABELS
    for row in shares[1:]:
        assert sum(float(c.rstrip("%")) for c in row[1:]) == pytest.approx(100.0, abs=0.2)
    (per_class,) = tables["Per-class scores"]
    assert [r[0] for r in per_class[1:]] == LABELS
    (curves,) = tables["Learning curves"]
    assert [r[0] for r in curves[1:]] == ["0"]  # 1 epoch; the post-fit validation is not an epoch
    mistakes = tables.get("Most confident mistakes", [[["header"]]])[0]
    assert len(mistakes) - 1 == min(10, data["mistakes"]["count"])
    (_, versions) = tables["Run"]
    assert {"torch", "pytorch-lightning", "seqtasks"} <= {r[0] for r in versions}
    assert [r[0] for r in tables["LSTM gates"][0][1:]] == [str(r) for r in data["gates"]["rows"]]
    (gradients,) = tables["Gradient by distance"]  # the tiny run's LSTM is bidirectional
    assert gradients[0] == ["steps from the end", "forward direction", "backward direction"]
    assert gradients[1][0] == "0" and all(float(v) > 0 for r in gradients[1:] for v in r[1:])
    assert set(data["gradient_by_distance"]) == {"forward", "backward"}
    assert all(r[0] in data["gradient_by_distance"]["backward"] for r in gradients[1:])


def test_a_text_report_says_nothing_of_forecast_windows(report):
    assert "forecast windows" not in report["html"] and "BCa bootstrap" in report["html"]


def test_report_md_keeps_every_figure_of_the_html(report):
    assert report["md"].count("![") == report["html"].count("<img ") > 5


def test_every_embedded_image_is_a_non_empty_png(report):
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', report["html"])
    pngs = sorted(report["dir"].glob("*.png"))
    assert len(images) == len(pngs) == report["md"].count("](") >= 5
    for encoded in images:
        raw = base64.b64decode(encoded, validate=True)
        assert raw.startswith(b"\x89PNG\r\n\x1a\n")
        pixels = matplotlib.image.imread(io.BytesIO(raw), format="png")
        assert pixels.shape[0] > 50 and pixels.shape[1] > 50 and pixels.std() > 0


def test_html_references_nothing_outside_the_file(report):
    assert not re.search(r'(src|href)="(?!data:)', report["html"])
    assert "http://" not in report["html"] and "https://" not in report["html"]


def test_markdown_numbers_equal_metrics_json(report):
    tables, data, trained = md_tables(report["md"]), report["json"], report["run_metrics"]
    for key, value, low, high, at_training in tables["Test metrics"][0][1:]:
        assert value == fmt(data[key]) and [low, high] == [fmt(v) for v in data[f"{key}_ci95"]]
        assert data[f"{key}_ci95"][0] <= data[key] <= data[f"{key}_ci95"][1]
        assert at_training == fmt(trained[key])
        assert data[key] == pytest.approx(trained[key], abs=1e-5)  # same model, same test split
    for name, precision, recall, f1, support in tables["Per-class scores"][0][1:]:
        scores = data["per_class"][name]
        assert [precision, recall, f1] == [fmt(scores[k]) for k in ("precision", "recall", "f1")]
        assert int(support) == scores["support"] == 8
    counts = [[int(c) for c in row[1:]] for row in tables["Confusion matrix"][0][1:]]
    assert counts == data["confusion_matrix"]["counts"] and sum(map(sum, counts)) == data["n"] == 24


def test_header_names_command_encoder_and_config(report):
    md = report["md"]
    assert "python scripts/train.py data=files (tiny)" in md  # stored in run_info.json at train time
    assert "LSTM, hidden 8, 1 layer(s), bidirectional, impl fused" in md
    assert re.search(r"```yaml\n(.*\n)*task:\n  _target_: seqtasks.tasks.SequenceClassifier\n", md)


def test_gate_plots_come_from_the_trained_weights(report):
    assert report["json"]["gates"]["max_output_gap"] < 1e-5  # explicit twin == trained encoder


def test_learning_curves_keep_trained_epochs_only(tiny_run):
    per_epoch = read_epoch_metrics(tiny_run / "metrics.csv")
    assert list(per_epoch) == [0] and {"train/loss", "val/loss", "val/acc"} <= set(per_epoch[0])


def test_evaluate_on_other_data_uses_the_checkpoint_vocabulary(tiny_run, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    rows = [r for r in make_rows(40, seed=7) if r["label"] != "tech"]  # a subset of the classes
    write_csv(other / "train.csv", rows)
    write_csv(other / "test.csv", rows[:12])
    path = evaluate(run=tiny_run, data={"root": str(other)}, resamples=50)
    assert path.parent.parent == tiny_run and path.parent.name.startswith("report-other-")
    assert report_dir(tiny_run, None, {"root": str(other), "batch_size": 4}, None) != path.parent
    data = json.loads((path.parent / "metrics.json").read_text())
    assert data["n"] == 12 and data["data_overrides"] == {"root": str(other)}
    assert data["confusion_matrix"]["labels"] == LABELS  # the model's classes, not the data's
    assert sum(map(sum, data["confusion_matrix"]["counts"])) == 12


@pytest.mark.parametrize("kwargs, match", [
    (dict(), "give exactly one of run=RUN_DIR or ckpt=PATH"),
    (dict(run="nowhere"), "run=nowhere is not a directory"),
    (dict(ckpt="nowhere.ckpt"), "ckpt=nowhere.ckpt does not exist"),
])
def test_bad_evaluate_arguments_are_named(kwargs, match):
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        evaluate(**kwargs)


def test_run_without_metrics_or_unknown_data_key_is_refused(tiny_run, tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(FileNotFoundError, match="half has no metrics.json"):
        evaluate(run=tmp_path / "half")
    with pytest.raises(ValueError, match=r"unknown data option\(s\) \['rot'\]; options: batch_size"):
        evaluate(run=tiny_run, data={"rot": "x"})


def test_reports_are_found_by_task_class_and_its_bases():
    class Subclass(SequenceClassifier):
        pass

    assert task_report_for(Subclass) is task_report_for(SequenceClassifier)
    with pytest.raises(ValueError, match="no report registered for task int; registered: .*SequenceClass"):
        task_report_for(int)


def test_bootstrap_interval_covers_a_known_proportion():
    hits = np.array([1.0] * 200 + [0.0] * 200)
    low, high = bootstrap_ci(lambda idx: hits[idx].mean(), len(hits), resamples=500)
    assert 0.44 < low < 0.48 and 0.52 < high < 0.56  # binomial: 0.5 ± 1.96 * 0.025


def test_a_bca_interval_is_asymmetric_near_the_top_of_the_scale():
    hits = np.array([1.0] * 485 + [0.0] * 15)  # 97 % accuracy
    low, high = bootstrap_ci(lambda idx: hits[idx].mean(), len(hits), resamples=2000)
    assert low < 0.97 < high <= 1.0
    assert (0.97 - low) > (high - 0.97)  # the interval leans away from the bound at 1


def test_a_paired_difference_sees_what_two_separate_intervals_miss():
    """Group B is group A with 12 of 500 rows turned wrong: separately their intervals overlap,
    paired on the same rows the difference (2.4 points) is clearly above zero."""
    a = np.array([1.0] * 400 + [0.0] * 100)
    b = a.copy()
    b[:12] = 0.0
    rows = np.arange(500)
    shuffled = np.random.default_rng(0).permutation(500)  # B's outputs come in another order
    first = [(lambda idx: a[idx].mean(), rows)]
    second = [(lambda idx: b[shuffled][idx].mean(), shuffled)]
    diff, low, high = paired_difference(first, second, resamples=1000)
    assert diff == pytest.approx(0.024)
    assert 0 < low < 0.024 < high < 0.045
    separate_a = bootstrap_ci(lambda idx: a[idx].mean(), 500, resamples=1000)
    separate_b = bootstrap_ci(lambda idx: b[idx].mean(), 500, resamples=1000)
    assert separate_a[0] < separate_b[1]  # the separate intervals overlap


def test_a_run_with_adversarial_training_evaluates_and_compares(text_root, tmp_path):
    """The gradient probe differentiates the model's plain loss (`model_step`), so a run trained
    with the adversarial pass (whose shift needs the embedding in the graph) still reports."""
    from seqtasks.reports.compare import compare

    run_dir = tmp_path / "adversarial"
    train(tiny_config(text_root, run_dir, "task.adversarial_eps=5"))
    report = evaluate(run=run_dir, resamples=20)
    assert "Gradient" in report.read_text()
    assert compare([run_dir], out=tmp_path / "compare").is_file()
