"""Tests for seqtasks.encoders: fused vs explicit equivalence, padding, summary, gates."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqtasks.encoders import GRUEncoder, LSTMEncoder, RNNEncoder

B, T, F, H = 4, 7, 5, 4
LENGTHS = [7, 3, 5, 1]
ENCODERS = {"rnn": RNNEncoder, "lstm": LSTMEncoder, "gru": GRUEncoder}
TORCH_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
SHAPES = pytest.mark.parametrize(
    "num_layers, bidirectional", [(1, False), (1, True), (2, False), (2, True)]
)


def make_batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Float64 batch (B, T, F) with mixed lengths; the padded region holds random junk."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, F, generator=gen, dtype=torch.float64)
    return x, torch.tensor(LENGTHS)


def padded(lengths: torch.Tensor) -> torch.Tensor:
    """(B, T) bool, True on padded steps."""
    return torch.arange(T).unsqueeze(0) >= lengths.unsqueeze(1)


def make_encoder(kind: str, impl: str = "fused", **kwargs) -> nn.Module:
    torch.manual_seed(0)
    return ENCODERS[kind](F, H, impl=impl, **kwargs).double()


def make_pair(kind: str, **kwargs) -> tuple[nn.Module, nn.Module]:
    """A fused encoder and an explicit one loaded with the same weights."""
    fused = make_encoder(kind, "fused", **kwargs)
    explicit = make_encoder(kind, "explicit", **kwargs)
    explicit.load_state_dict(fused.state_dict())
    return fused, explicit


def loss_and_grads(encoder: nn.Module, x: torch.Tensor, lengths: torch.Tensor):
    """Run forward + backward on a loss that uses both outputs and summary."""
    x = x.clone().requires_grad_(True)
    outputs, summary = encoder(x, lengths)
    gen = torch.Generator().manual_seed(1)
    loss = (outputs * torch.randn(outputs.shape, generator=gen, dtype=x.dtype)).sum()
    loss = loss + (summary * torch.randn(summary.shape, generator=gen, dtype=x.dtype)).sum()
    loss.backward()
    grads = {name: p.grad for name, p in encoder.named_parameters()}
    return outputs, summary, grads, x.grad


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@SHAPES
def test_explicit_matches_fused_values_and_gradients(kind, num_layers, bidirectional):
    fused, explicit = make_pair(kind, num_layers=num_layers, bidirectional=bidirectional)
    x, lengths = make_batch()
    out_f, sum_f, grads_f, xgrad_f = loss_and_grads(fused, x, lengths)
    out_e, sum_e, grads_e, xgrad_e = loss_and_grads(explicit, x, lengths)

    torch.testing.assert_close(out_e, out_f, atol=1e-10, rtol=0)
    torch.testing.assert_close(sum_e, sum_f, atol=1e-10, rtol=0)
    assert grads_e.keys() == grads_f.keys()
    for name in grads_f:
        assert grads_f[name].abs().sum() > 0, name
        torch.testing.assert_close(grads_e[name], grads_f[name], atol=1e-10, rtol=0, msg=name)
    torch.testing.assert_close(xgrad_e, xgrad_f, atol=1e-10, rtol=0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_state_dicts_match_torch_names_shapes_and_init(kind):
    torch_layer = TORCH_LAYERS[kind](F, H, num_layers=2, bidirectional=True)
    fused, explicit = make_pair(kind, num_layers=2, bidirectional=True)
    expected = {f"rnn.{k}": v.shape for k, v in torch_layer.state_dict().items()}
    assert {k: v.shape for k, v in fused.state_dict().items()} == expected
    assert {k: v.shape for k, v in explicit.state_dict().items()} == expected
    assert "rnn.weight_ih_l1_reverse" in expected

    fresh = ENCODERS[kind](F, H, num_layers=2, bidirectional=True, impl="explicit")
    for name, param in fresh.named_parameters():  # uniform in +-1/sqrt(H), not constant
        assert param.abs().max() <= H**-0.5 and param.std() > 0, name
    fused.load_state_dict(fresh.state_dict())  # explicit -> fused works too
    torch.testing.assert_close(fused.rnn.weight_hh_l0, fresh.rnn.weight_hh_l0.double())


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("impl", ["fused", "explicit"])
@SHAPES
def test_matches_torch_layer_run_directly(kind, impl, num_layers, bidirectional):
    encoder = make_encoder(kind, impl, num_layers=num_layers, bidirectional=bidirectional)
    reference = TORCH_LAYERS[kind](
        F, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=True
    ).double()
    reference.load_state_dict(encoder.rnn.state_dict())
    x, lengths = make_batch()

    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    packed_out, state = reference(packed)
    ref_outputs, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=T)
    h_n = state[0] if kind == "lstm" else state  # (layers * dirs, B, H)
    ref_summary = torch.cat([h_n[-2], h_n[-1]], dim=-1) if bidirectional else h_n[-1]

    outputs, summary = encoder(x, lengths)
    torch.testing.assert_close(outputs, ref_outputs, atol=1e-10, rtol=0)
    torch.testing.assert_close(summary, ref_summary, atol=1e-10, rtol=0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("impl", ["fused", "explicit"])
@pytest.mark.parametrize("junk", [1e6, float("nan")])
def test_padding_is_zero_and_never_leaks(kind, impl, junk):
    encoder = make_encoder(kind, impl, num_layers=2, bidirectional=True)
    x, lengths = make_batch()
    outputs, summary = encoder(x, lengths)
    assert torch.all(outputs[padded(lengths)] == 0)
    assert torch.all(outputs[~padded(lengths)] != 0)

    x_junk = x.masked_fill(padded(lengths).unsqueeze(-1), junk)
    outputs_junk, summary_junk = encoder(x_junk, lengths)
    assert torch.equal(outputs_junk, outputs)
    assert torch.equal(summary_junk, summary)
    (outputs_junk.sum() + summary_junk.sum()).backward()  # no junk in the gradients either
    for name, param in encoder.named_parameters():
        assert torch.isfinite(param.grad).all(), name


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional, dim", [(False, H), (True, 2 * H)])
def test_output_dim_and_shapes(kind, bidirectional, dim):
    encoder = make_encoder(kind, num_layers=2, bidirectional=bidirectional)
    x, lengths = make_batch()
    outputs, summary = encoder(x, lengths)
    assert encoder.output_dim == dim
    assert outputs.shape == (B, T, dim) and summary.shape == (B, dim)
    assert outputs.dtype == summary.dtype == torch.float64


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("impl", ["fused", "explicit"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_summary_is_state_after_last_valid_step(kind, impl, bidirectional):
    encoder = make_encoder(kind, impl, num_layers=2, bidirectional=bidirectional)
    x, lengths = make_batch()
    outputs, summary = encoder(x, lengths)
    for row, length in enumerate(LENGTHS):
        alone_out, alone_sum = encoder(x[row : row + 1, :length], torch.tensor([length]))
        torch.testing.assert_close(summary[row], alone_sum[0], atol=1e-12, rtol=0)
        torch.testing.assert_close(outputs[row, :length], alone_out[0], atol=1e-12, rtol=0)
        # forward half = output at t = length-1, backward half = output at t = 0
        torch.testing.assert_close(summary[row, :H], outputs[row, length - 1, :H])
        if bidirectional:
            torch.testing.assert_close(summary[row, H:], outputs[row, 0, H:])


@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True)])
def test_explicit_lstm_gates_rebuild_the_memories(num_layers, bidirectional):
    encoder = make_encoder("lstm", "explicit", num_layers=num_layers, bidirectional=bidirectional)
    x, lengths = make_batch()
    outputs, summary, gates = encoder(x, lengths, return_gates=True)
    plain_outputs, plain_summary = encoder(x, lengths)
    assert torch.equal(outputs, plain_outputs) and torch.equal(summary, plain_summary)

    assert set(gates) == {"learn", "forget", "remember", "use"}
    pad = padded(lengths)
    for name, gate in gates.items():
        assert gate.shape == (B, T, H), name
        assert torch.all(gate[pad] == 0), name
    for name in ["forget", "use"]:  # sigmoids
        assert torch.all((gates[name][~pad] > 0) & (gates[name][~pad] < 1)), name
    assert torch.all(gates["learn"][~pad].abs() < 1)  # i * g: a sigmoid times a tanh

    long_term = torch.zeros(B, H, dtype=torch.float64)  # c_{-1}
    for t in range(T):
        kept = gates["forget"][:, t] * long_term  # forget gate
        long_term = kept + gates["learn"][:, t]  # remember gate: kept + learned
        valid = ~pad[:, t]
        torch.testing.assert_close(gates["remember"][valid, t], long_term[valid], atol=1e-12, rtol=0)
        short_term = gates["use"][:, t] * torch.tanh(long_term)  # use gate
        torch.testing.assert_close(short_term[valid], outputs[valid, t, :H], atol=1e-12, rtol=0)


def test_return_gates_needs_explicit_lstm():
    x, lengths = make_batch()
    with pytest.raises(ValueError, match="impl='explicit'"):
        make_encoder("lstm", "fused")(x, lengths, return_gates=True)
    with pytest.raises(ValueError, match="return_gates"):
        make_encoder("rnn", "explicit")(x, lengths, return_gates=True)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(input_size=0), "input_size=0"),
        (dict(hidden_size=-3), "hidden_size=-3"),
        (dict(hidden_size=2.5), "hidden_size=2.5"),
        (dict(num_layers=0), "num_layers=0"),
        (dict(dropout=1.0), r"dropout=1.0 .*\[0, 1\)"),
        (dict(dropout=-0.1), "dropout=-0.1"),
        (dict(impl="foo"), r"impl='foo' is not one of \['explicit', 'fused'\]"),
    ],
)
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_bad_constructor_arguments_raise(kind, kwargs, pattern):
    args = dict(input_size=F, hidden_size=H) | kwargs
    with pytest.raises(ValueError, match=pattern):
        ENCODERS[kind](**args)


def test_bad_nonlinearity_raises_and_relu_matches():
    pattern = r"nonlinearity='sigmoid' is not one of \['relu', 'tanh'\]"
    with pytest.raises(ValueError, match=pattern):
        RNNEncoder(F, H, nonlinearity="sigmoid")
    fused, explicit = make_pair("rnn", nonlinearity="relu", bidirectional=True)
    x, lengths = make_batch()
    torch.testing.assert_close(explicit(x, lengths), fused(x, lengths), atol=1e-10, rtol=0)


@pytest.mark.parametrize(
    "x_shape, lengths, pattern",
    [
        ((B, T, F + 1), LENGTHS, "x must be"),
        ((B, T, F), [7, 3, 5], "lengths must be"),
        ((B, T, F), [7, 3, 5, 0], r"lengths must lie in \[1, T=7\]"),
        ((B, T, F), [8, 3, 5, 1], r"lengths must lie in \[1, T=7\]"),
    ],
)
def test_bad_inputs_raise(x_shape, lengths, pattern):
    encoder = make_encoder("lstm")
    with pytest.raises(ValueError, match=pattern):
        encoder(torch.zeros(x_shape, dtype=torch.float64), torch.tensor(lengths))


def test_explicit_dropout_only_between_layers_in_training():
    fused, explicit = make_pair("lstm", num_layers=2, dropout=0.5)
    x, lengths = make_batch()
    fused.eval()
    explicit.eval()
    torch.testing.assert_close(explicit(x, lengths), fused(x, lengths), atol=1e-10, rtol=0)
    explicit.train()
    torch.manual_seed(0)
    outputs, _ = explicit(x, lengths)
    assert not torch.allclose(outputs, fused(x, lengths)[0])
    assert torch.all(outputs[padded(lengths)] == 0)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gru_fused_basic(bidirectional):
    encoder = make_encoder("gru", num_layers=2, bidirectional=bidirectional)
    assert isinstance(encoder.rnn, nn.GRU)
    x, lengths = make_batch()
    outputs, summary = encoder(x, lengths)
    assert outputs.shape == (B, T, encoder.output_dim)
    assert summary.shape == (B, encoder.output_dim)
    assert torch.all(outputs[padded(lengths)] == 0)
    torch.testing.assert_close(summary[:, :H], outputs[torch.arange(B), lengths - 1, :H])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
@pytest.mark.parametrize("impl", ["fused", "explicit"])
def test_runs_on_gpu_with_lengths_on_either_device(impl):
    encoder = make_encoder("lstm", impl, num_layers=2, bidirectional=True)
    x, lengths = make_batch()
    cpu_outputs, cpu_summary = encoder(x, lengths)
    encoder = encoder.cuda()
    for device_lengths in [lengths, lengths.cuda()]:
        outputs, summary = encoder(x.cuda(), device_lengths)
        torch.testing.assert_close(outputs.cpu(), cpu_outputs, atol=1e-8, rtol=0)
        torch.testing.assert_close(summary.cpu(), cpu_summary, atol=1e-8, rtol=0)


@pytest.mark.parametrize("impl", ["fused", "explicit"])
def test_lstm_forget_bias_shifts_only_the_forget_quarter_of_the_input_bias(impl):
    torch.manual_seed(0)
    plain = LSTMEncoder(3, 4, impl=impl)
    torch.manual_seed(0)
    opened = LSTMEncoder(3, 4, impl=impl, forget_bias=1.0)
    delta = opened.rnn.bias_ih_l0.detach() - plain.rnn.bias_ih_l0.detach()
    torch.testing.assert_close(delta, torch.tensor([0.0] * 4 + [1.0] * 4 + [0.0] * 8))
