"""minGRU, minLSTM (parallel scan and its sequential reference) and IndRNN: the encoder contract
(padding never leaks, summary after the last valid step), scan/loop agreement in float64 within
1e-10, float32 precision of the chunked scan over long T, the IndRNN bound, and each in a task."""

import json

import pytest
import torch

from seqtasks.config.compose import load_config
from seqtasks.encoders import IndRNNEncoder, MinGRUEncoder, MinLSTMEncoder
from seqtasks.encoders.indrnn import IndRNNRecurrence, relu_recurrence
from seqtasks.encoders.scan import linear_scan, log_scan, sequential_scan
from seqtasks.reports.evaluate import evaluate
from seqtasks.training.train import train
from tests.conftest import make_rows, write_csv, write_tone_digits

SCAN = {"mingru": MinGRUEncoder, "minlstm": MinLSTMEncoder}
LENGTHS = torch.tensor([9, 3, 6, 1])


def pair(kind: str, bidirectional: bool, impl: str, chunk: int = 4):
    """A scan encoder and its sequential twin with the same weights, in float64."""
    torch.manual_seed(0)
    parallel = SCAN[kind](5, 6, num_layers=2, bidirectional=bidirectional, impl=impl, chunk=chunk).double()
    sequential = SCAN[kind](5, 6, num_layers=2, bidirectional=bidirectional, impl="sequential").double()
    sequential.load_state_dict(parallel.state_dict())
    return parallel, sequential


@pytest.mark.parametrize("kind", SCAN)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("impl", ["parallel", "log"])
def test_parallel_scan_equals_the_step_by_step_recurrence(kind, bidirectional, impl):
    parallel, sequential = pair(kind, bidirectional, impl)  # chunks of 4 over T = 9: carries exercised
    x = torch.randn(4, 9, 5, dtype=torch.float64, requires_grad=True)
    (out_p, sum_p), (out_s, sum_s) = parallel(x, LENGTHS), sequential(x, LENGTHS)
    torch.testing.assert_close(out_p, out_s, atol=1e-10, rtol=0)
    torch.testing.assert_close(sum_p, sum_s, atol=1e-10, rtol=0)
    grad_p, = torch.autograd.grad(sum_p.sum() + out_p.pow(2).sum(), x)
    grad_s, = torch.autograd.grad(sum_s.sum() + out_s.pow(2).sum(), x)
    torch.testing.assert_close(grad_p, grad_s, atol=1e-10, rtol=0)


def encoders():
    torch.manual_seed(1)
    return [MinGRUEncoder(5, 6, bidirectional=True), MinLSTMEncoder(5, 6, bidirectional=True, impl="log"),
            MinGRUEncoder(5, 6, impl="sequential"), IndRNNEncoder(5, 6, bidirectional=True)]


@pytest.mark.parametrize("encoder", encoders(), ids=lambda e: f"{type(e).__name__}-{getattr(e, 'impl', '')}")
def test_padding_never_leaks_and_each_row_reads_as_if_alone(encoder):
    x = torch.randn(4, 9, 5)
    padded = x.clone()
    for row, length in enumerate(LENGTHS):
        padded[row, length:] = float("nan")  # junk in the padding
    outputs, summary = encoder(padded, LENGTHS)
    assert outputs.shape == (4, 9, encoder.output_dim) and summary.shape == (4, encoder.output_dim)
    for row, length in enumerate(LENGTHS):
        assert (outputs[row, length:] == 0).all()
        alone_out, alone_summary = encoder(x[row:row + 1, :length], length[None])
        torch.testing.assert_close(outputs[row, :length], alone_out[0], atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(summary[row], alone_summary[0], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("scan", ["linear", "log"])
def test_the_chunked_scan_keeps_float32_precision_over_2000_steps(scan):
    torch.manual_seed(0)
    log_a = -torch.rand(2, 2000, 3, dtype=torch.float64) * 0.2  # a in (0.82, 1]: long memory
    log_b = torch.randn(2, 2000, 3, dtype=torch.float64)
    h, want = torch.zeros(2, 3, dtype=torch.float64), []
    for t in range(2000):
        h = log_a[:, t].exp() * h + log_b[:, t].exp()
        want.append(h)
    if scan == "log":
        got = log_scan(log_a.float(), log_b.float(), chunk=256).exp().double()
    else:
        got = linear_scan(log_a.exp().float(), log_b.exp().float(), chunk=64).double()
    torch.testing.assert_close(got, torch.stack(want, 1), rtol=1e-4, atol=0)


@pytest.mark.parametrize("steps", [1, 5, 8, 9, 65])
def test_sequences_shorter_or_longer_than_a_chunk_scan_like_the_step_loop(steps):
    """Short sequences are padded to the next power of two, not to a whole chunk: same values."""
    a = torch.rand(3, steps, 4, dtype=torch.float64)
    b = torch.randn(3, steps, 4, dtype=torch.float64)
    torch.testing.assert_close(linear_scan(a, b, chunk=64), sequential_scan(a, b), rtol=1e-12, atol=1e-12)


def test_a_short_sequence_is_padded_to_the_next_power_of_two_not_a_whole_chunk(monkeypatch):
    """ETTh1's 8 segments padded to 64 steps made minGRU 18x slower than the LSTM."""
    padded_lengths, pad = [], torch.nn.functional.pad

    def recording_pad(x, *args, **kwargs):
        out = pad(x, *args, **kwargs)
        padded_lengths.append(out.shape[1])  # (B, T padded, H)
        return out

    monkeypatch.setattr(torch.nn.functional, "pad", recording_pad)
    for steps in (8, 9, 100):
        linear_scan(torch.rand(2, steps, 3), torch.randn(2, steps, 3), chunk=64)
    assert padded_lengths == [8, 8, 16, 16, 128, 128]  # a and b each


def test_min_gates_are_returned_in_the_seed_s_words():
    encoder = MinLSTMEncoder(5, 6)
    outputs, _, gates = encoder(torch.randn(4, 9, 5), LENGTHS, return_gates=True)
    assert set(gates) == {"learn", "forget", "remember"}
    assert ((gates["forget"] > 0) & (gates["forget"] < 1))[0].all()  # a share of the old memory kept
    torch.testing.assert_close(gates["remember"], outputs)  # the memory is the output (no use gate)
    assert (gates["forget"][1, 3:] == 0).all()  # padding


def test_forget_bias_starts_the_memory_mostly_kept():
    x = torch.randn(8, 20, 5)
    for kind in SCAN.values():
        torch.manual_seed(0)
        open_gate = kind(5, 6, forget_bias=3.0)(x, torch.full((8,), 20), return_gates=True)[2]["forget"]
        torch.manual_seed(0)
        neutral = kind(5, 6, forget_bias=0.0)(x, torch.full((8,), 20), return_gates=True)[2]["forget"]
        assert open_gate.mean() > 0.9 > neutral.mean()


def test_indrnn_bounds_its_recurrent_weights_whatever_the_optimizer_does():
    encoder = IndRNNEncoder(1, 4, num_layers=1, memory_steps=50)
    assert encoder.max_recurrent == pytest.approx(2 ** (1 / 50))
    top = encoder.recurrent[0]
    assert (top >= 2 ** (-1 / 50) - 1e-7).all() and (top <= encoder.max_recurrent).all()  # the paper's init
    with torch.no_grad():
        top.fill_(5.0)
        encoder.proj[0].weight.fill_(1.0)
        encoder.proj[0].bias.zero_()
    x = torch.zeros(1, 60, 1)
    x[0, 0] = 1.0  # one impulse, then 59 steps of memory
    outputs, _ = encoder(x, torch.tensor([60]))
    bounded = encoder.max_recurrent ** 59  # not 5 ** 59
    assert float(outputs[0, -1, 0].detach()) == pytest.approx(bounded, rel=1e-4)


def test_indrnn_hand_written_backward_equals_autograd():
    torch.manual_seed(0)
    drive = torch.randn(3, 40, 5, dtype=torch.float64, requires_grad=True)  # some units hit relu's 0
    u = torch.empty(5, dtype=torch.float64).uniform_(-1.0, 1.02).requires_grad_()
    weights = torch.randn(3, 40, 5, dtype=torch.float64)  # a loss that reads every step
    fast = IndRNNRecurrence.apply(drive, u)
    reference = relu_recurrence(drive, u)  # autograd, one node per step
    torch.testing.assert_close(fast, reference, atol=1e-12, rtol=0)
    grads_fast = torch.autograd.grad((fast * weights).sum(), (drive, u))
    grads_reference = torch.autograd.grad((reference * weights).sum(), (drive, u))
    for got, want in zip(grads_fast, grads_reference, strict=True):
        torch.testing.assert_close(got, want, atol=1e-12, rtol=0)
    assert torch.autograd.gradcheck(IndRNNRecurrence.apply, (drive[:, :8].detach().requires_grad_(), u))


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="impl='loop' is not one of"):
        MinGRUEncoder(5, 6, impl="loop")
    with pytest.raises(ValueError, match="memory_steps"):
        IndRNNEncoder(5, 6, memory_steps=0)


@pytest.fixture(scope="module")
def data_roots(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    (root / "text").mkdir()
    write_csv(root / "text" / "train.csv", make_rows(60, seed=1))
    write_csv(root / "text" / "test.csv", make_rows(15, seed=2))
    return {"text": root / "text", "tones": write_tone_digits(root / "tones")}


def task_overrides(task: str, roots) -> list[str]:
    return {"text": ["data=files", f"data.root={roots['text']}", "task.embedding_dim=8"],
            "digits": ["task=digits", "data=fsdd", f"data.root={roots['tones']}", "task.embedding_dim=8"],
            "forecast": ["task=forecast", "data=co2", "data.lookback=24", "data.horizon=4"],
            "memory": ["task=memory", "data.seq_len=12", "data.num_train=64", "data.num_val=16",
                       "data.num_test=16"]}[task]


CASES = [("mingru", "text"), ("minlstm", "digits"), ("indrnn", "forecast"), ("mingru", "memory")]
TASKS = ("text", "digits", "forecast", "memory")
SLOW_CASES = [(e, t) for e in ("mingru", "minlstm", "indrnn") for t in TASKS if (e, t) not in CASES]


def run_task(encoder: str, task: str, roots, tmp_path) -> dict:
    return train(load_config(["trainer=cpu", "trainer.max_epochs=1", f"encoder={encoder}",
                              "encoder.hidden_size=8", "encoder.num_layers=1",
                              f"output_dir={tmp_path / 'run'}", *task_overrides(task, roots)]))


@pytest.mark.parametrize(("encoder", "task"), CASES)
def test_each_new_encoder_trains_in_a_task_without_task_changes(encoder, task, data_roots, tmp_path):
    metrics = run_task(encoder, task, data_roots, tmp_path)
    assert any(k.startswith("test/") for k in metrics) and all(v == v for v in metrics.values())


@pytest.mark.parametrize(("encoder", "task", "gates"), [("minlstm", "digits", "MinLSTM"),
                                                       ("mingru", "text", "MinGRU"),
                                                       ("indrnn", "forecast", None)])
def test_the_report_draws_gradients_for_each_new_encoder_and_gates_where_it_has_them(
        encoder, task, gates, data_roots, tmp_path):
    run_task(encoder, task, data_roots, tmp_path)
    html = evaluate(run=tmp_path / "run", resamples=20).read_text()
    report = json.loads((tmp_path / "run" / "report" / "metrics.json").read_text())
    curves = report["gradient_by_distance"]  # {distance: norm}, or one such per direction
    forward = curves.get("forward", curves)
    assert "Gradient by distance" in html and len(forward) > 1 and all(v > 0 for v in forward.values())
    if gates:
        assert f"{gates} gates" in html and report["gates"]["encoder"] == gates
        assert len(report["gates"]["rows"]) == 3
    else:  # IndRNN has no gates
        assert "gates" not in report and " gates</h2>" not in html


@pytest.mark.slow
@pytest.mark.parametrize(("encoder", "task"), SLOW_CASES)
def test_every_new_encoder_in_every_task(encoder, task, data_roots, tmp_path):
    metrics = run_task(encoder, task, data_roots, tmp_path)
    assert any(k.startswith("test/") for k in metrics)


def test_min_lstm_normalized_gates_stay_finite_where_both_sigmoids_round_to_zero():
    """f' = f / (f + i) is 0 / 0 when f and i underflow (onnxruntime flushes them for a trained SST-2
    model's inputs); computed from their log ratio it is the limit instead."""
    encoder = MinLSTMEncoder(5, 6)
    kf = torch.tensor([-200.0, -90.0, 0.0, 30.0])
    ki = torch.tensor([-200.0, -100.0, 0.0, 30.0])
    forget, learn = encoder.coefficients(kf, ki, torch.zeros(4))  # learn = i' * g(0) = i' / 2
    ratio_10 = torch.sigmoid(torch.tensor(10.0)).item()  # log f - log i = -90 - (-100)
    torch.testing.assert_close(forget, torch.tensor([0.5, ratio_10, 0.5, 0.5]))
    torch.testing.assert_close(forget + 2 * learn, torch.ones(4))
