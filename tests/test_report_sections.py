"""Report sections on synthetic outputs: forecasting and memory plug-ins, gradient by distance."""

import functools
import io

import matplotlib.image
import numpy as np
import pytest
import torch

from seqtasks.encoders import LSTMEncoder, RNNEncoder
from seqtasks.reports import task_report_for
from seqtasks.reports.document import Figure, Section, write_report
from seqtasks.reports.gradients import gradient_by_distance
from seqtasks.reports.registry import EvalContext
from seqtasks.reports.tasks import regression
from seqtasks.tasks import SequenceClassifier, SequenceRegressor

N, L, H, C = 10, 6, 4, 2


def forecast_context(error_per_step: float = 0.1) -> EvalContext:
    """Windows whose forecast misses by error_per_step x (steps ahead), on every channel."""
    rng = np.random.default_rng(0)
    target = torch.tensor(rng.normal(size=(N, H, C)), dtype=torch.float32)
    miss = error_per_step * torch.arange(1, H + 1, dtype=torch.float32)[None, :, None]
    batches = [(torch.randn(5, L, C), torch.full((5,), L), target[i:i + 5]) for i in (0, 5)]
    outputs = [target[i:i + 5] + miss for i in (0, 5)]
    report = task_report_for(type("Forecaster", (), {}))
    return EvalContext(run=None, outputs=report.collect(outputs, batches), rows=list(range(N)))


def assert_png(figure: Figure):
    pixels = matplotlib.image.imread(io.BytesIO(figure.png), format="png")
    assert pixels.shape[0] > 50 and pixels.std() > 0


def test_forecast_outputs_metrics_and_error_per_horizon_step():
    ctx = forecast_context()
    assert ctx.outputs["prediction"].shape == (N, H, C) and ctx.outputs["history"].shape == (N, L, C)
    scores = {k: f(np.arange(N)) for k, f in regression.FORECAST.metrics(ctx.outputs).items()}
    assert scores["mae"] == pytest.approx(0.25)  # mean of 0.1 k over k = 1..4
    assert scores["mse"] == pytest.approx(0.075)  # mean of 0.01 k²
    section = regression.horizon_section(ctx)
    table = section.blocks[1]
    assert [r[0] for r in table.rows] == ["1", "2", "3", "4"]
    assert [r[2] for r in table.rows] == ["0.1000", "0.2000", "0.3000", "0.4000"]  # MAE grows per step
    assert section.data["mse"] == pytest.approx([0.01, 0.04, 0.09, 0.16])
    assert_png(section.blocks[0])
    assert_png(regression.forecast_section(ctx).blocks[0])


def test_memory_baseline_ratio_is_zero_for_a_perfect_model_and_one_for_the_mean():
    target = np.random.default_rng(1).uniform(0, 2, size=(50, 1, 1))
    perfect = EvalContext(run=None, outputs={"prediction": target, "target": target}, rows=list(range(50)))
    assert regression.baseline_section(perfect).data["ratio"] == 0.0
    mean = {"prediction": np.full_like(target, target.mean()), "target": target}
    ratio = regression.baseline_section(EvalContext(None, mean, list(range(50)))).data["ratio"]
    assert ratio == pytest.approx(1.0)


def test_regression_outputs_of_any_rank_become_steps_and_channels():
    assert regression.as_steps(np.zeros(3)).shape == (3, 1, 1)
    assert regression.as_steps(np.zeros((3, 5))).shape == (3, 5, 1)
    assert task_report_for(SequenceRegressor) is regression.SEQUENCE_REGRESSION


@pytest.mark.parametrize("encoder", [RNNEncoder, LSTMEncoder])
def test_gradient_by_distance_follows_each_rows_own_length(encoder):
    torch.manual_seed(0)
    model = SequenceClassifier(functools.partial(encoder, hidden_size=8), num_classes=2,
                               label_names=["a", "b"], vocab_size=20, embedding_dim=4, input_dropout=0.0,
                               dropout=0.0).eval()
    ids, lengths = torch.randint(2, 20, (3, 9)), torch.tensor([9, 5, 3])
    ids[1, 5:] = ids[2, 3:] = 0
    means = gradient_by_distance(model, (ids, lengths, torch.tensor([0, 1, 0])))
    assert means.shape == (9,) and np.all(means > 0)  # every distance 0..8 is reached by row 0
    alone = gradient_by_distance(model, (ids[:1], lengths[:1], torch.tensor([0])))
    # rows are independent: distances 5..8 are reached by row 0 only (loss is a batch mean: x 3)
    np.testing.assert_allclose(means[5:], alone[5:] / 3, rtol=1e-5)
    assert all(p.grad is None for p in model.parameters())  # the model is left clean


def test_a_new_report_removes_the_figures_of_the_last_one_only(tmp_path):
    (tmp_path / "keep.png").write_bytes(b"not ours")
    write_report(tmp_path, "t", [Section("a", [Figure("one", b"png1"), Figure("two", b"png2")])])
    write_report(tmp_path, "t", [Section("a", [Figure("two", b"png2")])])
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["keep.png", "two.png"]


def test_each_direction_of_a_bidirectional_encoder_is_measured_through_itself_alone():
    """With pooling=last and the head blind to the backward half, the loss cannot reach the input
    through the backward direction: its curve is zero, and the forward one is the whole gradient."""
    torch.manual_seed(0)
    model = SequenceClassifier(functools.partial(LSTMEncoder, hidden_size=4, bidirectional=True),
                               num_classes=2, label_names=["a", "b"], vocab_size=20, embedding_dim=4,
                               input_dropout=0.0, dropout=0.0, pooling="last").eval()
    with torch.no_grad():
        model.head[1].weight[:, 4:] = 0  # the backward direction's 4 features
    ids, lengths = torch.randint(2, 20, (2, 6)), torch.tensor([6, 4])
    ids[1, 4:] = 0
    batch = (ids, lengths, torch.tensor([0, 1]))
    backward = gradient_by_distance(model, batch, "backward")
    assert backward.shape == (6,) and np.all(backward == 0)
    forward = gradient_by_distance(model, batch, "forward")
    np.testing.assert_allclose(gradient_by_distance(model, batch, None), forward, rtol=1e-6)  # no detaching
    assert np.all(forward[:4] > 0)


def test_the_confusion_matrix_panels_do_not_overlap(monkeypatch):
    """BBC-like: 5 classes with long names; each panel's box with its labels and ticks stays clear
    of the other's."""
    from types import SimpleNamespace

    from seqtasks.reports.tasks import classification

    names = ["business", "entertainment", "politics", "sport", "tech"]
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(5), 200).astype("float32")
    ctx = SimpleNamespace(outputs={"probs": probs, "target": rng.integers(0, 5, 200)}, rows=list(range(200)),
                          run=SimpleNamespace(model=SimpleNamespace(hparams=SimpleNamespace(label_names=names))))
    figures = []
    monkeypatch.setattr(classification, "figure_png", lambda fig: figures.append(fig) or b"")
    classification.confusion_section(ctx)
    (fig,) = figures
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    left, right = (ax.get_tightbbox(renderer) for ax in fig.axes[:2])
    assert left.x1 < right.x0  # the left panel (with its labels) ends before the right one begins


def test_a_one_epoch_run_gets_whole_epoch_ticks(tiny_run, monkeypatch):
    from seqtasks.reports import sections
    from seqtasks.reports.runs import load_run

    figures = []
    monkeypatch.setattr(sections, "figure_png", lambda fig: figures.append(fig) or b"")
    sections.learning_curves_section(load_run(run=tiny_run, with_data=False))
    for ax in figures[0].axes:
        low, high = ax.get_xlim()
        assert [t for t in ax.get_xticks() if low <= t <= high] == [0.0]


def test_markdown_keeps_a_figure_whose_caption_has_blank_lines():
    from seqtasks.reports.document import Figure, Section, render_markdown

    caption = "test row 3: first\n\nsecond [x]"  # a text with a blank line, as BBC articles have
    text = render_markdown("t", [Section("s", [Figure("gates_row3", b"", caption)])])
    assert "![test row 3: first second (x)](gates_row3.png)" in text.splitlines()
