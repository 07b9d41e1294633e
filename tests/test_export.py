"""Export round trips, one per task: a small trained model exported to ONNX gives the checkpoint's
outputs (probabilities, forecasts, values) within 1e-4, at batch sizes 1 and 7 and at sequence
lengths the export never saw (it traces 3 rows of lengths 6, 5, 4)."""

import json

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")

from seqtasks.config.compose import load_config  # noqa: E402
from seqtasks.encoders.base import SequenceEncoder  # noqa: E402
from seqtasks.export.onnx import check_exportable, export_model  # noqa: E402
from seqtasks.export.predictor import Predictor  # noqa: E402
from seqtasks.training.train import train  # noqa: E402
from tests.conftest import make_rows, write_csv, write_tone, write_tone_digits  # noqa: E402
from tests.test_timeseries import write_series  # noqa: E402

TINY = ["trainer=cpu", "trainer.max_epochs=1", "encoder.hidden_size=8"]


def trained(tmp_path, *overrides) -> str:
    run = tmp_path / "run"
    train(load_config([*TINY, f"output_dir={run}", *overrides]))
    return str(run / "checkpoints" / "best.ckpt")


def outputs(predictor: Predictor, items: list, batch_size: int) -> np.ndarray:
    predictor.datamodule.batch_size = batch_size
    return torch.cat(predictor.outputs(predictor.datamodule.read_inputs(items))[0]).numpy()


def assert_round_trip(ckpt: str, tmp_path, items: list, quantize=None) -> dict:
    files = export_model(ckpt, tmp_path / "export", quantize=quantize)
    torch_side = Predictor.from_checkpoint(ckpt, device="cpu")
    onnx_side = Predictor.from_exported(files["onnx"])
    for batch_size in (1, 7):
        want, got = outputs(torch_side, items, batch_size), outputs(onnx_side, items, batch_size)
        assert got.shape == want.shape and len(got) == len(items)
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    from_onnx, from_ckpt = onnx_side.predict(items), torch_side.predict(items)  # the same JSON lines
    assert [leaves(r)[0] for r in from_onnx] == [leaves(r)[0] for r in from_ckpt]
    np.testing.assert_allclose([leaves(r)[1] for r in from_onnx], [leaves(r)[1] for r in from_ckpt],
                               atol=1e-4)
    return json.loads(files["contract"].read_text())


def leaves(record, prefix="") -> tuple[list, list]:
    """A record's non-numeric leaves (keys, input, predicted class) and its numbers, in order."""
    if isinstance(record, dict):
        parts = [leaves(v, f"{prefix}{k}.") for k, v in record.items()]
    elif isinstance(record, list):
        parts = [leaves(v, prefix) for v in record]
    else:
        is_number = isinstance(record, float)
        return ([] if is_number else [prefix + str(record)]), ([record] if is_number else [])
    return [s for p in parts for s in p[0]], [n for p in parts for n in p[1]]


@pytest.fixture(scope="module")
def text_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("text")
    write_csv(root / "train.csv", make_rows(90, seed=1))
    write_csv(root / "test.csv", make_rows(20, seed=2))
    return root


TEXTS = ["goal", "the new chip says code today people report", "soup", "a big match of the team today",
         "bread and cheese and soup of the day for the small people of today", "phone", "team code"]


@pytest.mark.parametrize("encoder", ["lstm", "gru", "rnn"])
def test_text_model_exports_with_the_recurrent_operator_of_onnx(text_data, tmp_path, encoder):
    ckpt = trained(tmp_path, "data=files", f"data.root={text_data}", f"encoder={encoder}",
                   "task.embedding_dim=8", "task.pooling=max")
    contract = assert_round_trip(ckpt, tmp_path, TEXTS)
    assert contract["recurrent_ops"] == [encoder.upper()]  # fused layers -> ONNX LSTM/GRU/RNN
    assert contract["inputs"] == [{"name": "x", "dtype": "int64", "shape": ["batch", "time"]},
                                  {"name": "lengths", "dtype": "int64", "shape": ["batch"]}]
    assert contract["labels"] == ["food", "sport", "tech"]
    assert (tmp_path / "export" / "tokenizer.json").is_file()


def test_padding_never_changes_an_exported_prediction(text_data, tmp_path):
    ckpt = trained(tmp_path, "data=files", f"data.root={text_data}", "task.embedding_dim=8")
    predictor = Predictor.from_exported(export_model(ckpt, tmp_path / "export")["onnx"])
    alone = [outputs(predictor, [text], 1)[0] for text in TEXTS]
    np.testing.assert_allclose(outputs(predictor, TEXTS, 7), np.stack(alone), atol=1e-6)


def test_digits_model_round_trip_on_clips_of_new_lengths(tmp_path):
    root = write_tone_digits(tmp_path / "tones")
    ckpt = trained(tmp_path, "task=digits", "data=fsdd", f"data.root={root}", "task.embedding_dim=8",
                   "data.batch_size=8")
    clips = [str(write_tone(tmp_path / f"new{i}.wav", i % 3, seconds=0.15 + 0.07 * i, seed=i))
             for i in range(7)]
    contract = assert_round_trip(ckpt, tmp_path, clips)
    frames = contract["inputs"][0]
    assert frames["shape"][:2] == ["batch", "time"] and frames["dtype"] == "float32"
    normalization = json.loads((tmp_path / "export" / "normalization.json").read_text())
    assert len(normalization["mean"]) == contract["inputs"][0]["shape"][2]  # one statistic per feature


def test_forecast_model_round_trip_in_data_units(tmp_path):
    t = np.arange(240, dtype=float)
    path = write_series(tmp_path / "s.csv", n=240, y=np.sin(t / 5) * 10 + 50, z=np.cos(t / 7))
    ckpt = trained(tmp_path, "task=forecast", "data=series", f"data.path={path}", "data.targets=[y]",
                   "data.covariates=[z]", "data.lookback=24", "data.horizon=6")
    series = [str(write_series(tmp_path / f"new{i}.csv", n=30 + i, y=np.linspace(40, 60 + i, 30 + i),
                               z=np.zeros(30 + i))) for i in range(7)]
    contract = assert_round_trip(ckpt, tmp_path, series)
    assert contract["output"] == {"name": "forecast", "shape": ["batch"]}
    assert json.loads((tmp_path / "export" / "scaling.json").read_text())["columns"] == ["y", "z"]


def test_memory_model_round_trip_on_longer_sequences(tmp_path):
    ckpt = trained(tmp_path, "task=memory", "data.seq_len=12", "data.num_train=128", "data.num_val=32",
                   "data.num_test=32")
    rng = np.random.default_rng(0)
    files = []
    for i, steps in enumerate([20] * 6 + [9]):  # six of one length (batched), one shorter
        marker = np.zeros(steps)
        marker[[1, steps - 2]] = 1
        files.append(tmp_path / f"seq{i}.csv")
        rows = (f"{v},{m}" for v, m in zip(rng.random(steps), marker, strict=True))
        files[-1].write_text("value,marker\n" + "\n".join(rows))
    assert_round_trip(ckpt, tmp_path, [str(f) for f in files])


def test_int8_model_is_written_and_predicts_the_same_classes_on_the_toy_text(text_data, tmp_path):
    ckpt = trained(tmp_path, "data=files", f"data.root={text_data}", "task.embedding_dim=8")
    files = export_model(ckpt, tmp_path / "export", quantize="int8")
    contract = json.loads(files["contract"].read_text())
    assert contract["files"] == {"onnx": "model.onnx", "int8": "model.int8.onnx"}
    import onnx

    ops = {node.op_type for node in onnx.load(str(files["int8"])).graph.node}
    assert "DynamicQuantizeLSTM" in ops  # the LSTM's weights are int8
    full = Predictor.from_exported(files["onnx"])
    small = Predictor.from_exported(tmp_path / "export", int8=True)
    assert [r["prediction"] for r in small.predict(TEXTS)] == [r["prediction"] for r in full.predict(TEXTS)]


def test_export_benchmark_measures_each_runner_on_the_whole_test_split(tiny_run):
    from seqtasks.benchmark.export import export_benchmark, markdown_table

    result = export_benchmark([tiny_run], log=lambda m: None)[tiny_run.name]
    runners = ("torch_fp32", "onnxruntime_fp32", "onnxruntime_int8")
    assert all(result[r]["test_rows"] == 24 for r in runners)
    assert all(0 < result[r]["p50_ms"] <= result[r]["p95_ms"] for r in runners)
    assert result["torch_fp32"]["test_acc"] == result["onnxruntime_fp32"]["test_acc"]  # the same model
    assert result["feature_ms_per_input"] is None  # text is read from ids
    assert len(markdown_table({"tiny": result}).splitlines()) == 2 + 3


def test_an_exported_file_that_is_not_onnx_is_one_line(text_data, tmp_path):
    ckpt = trained(tmp_path, "data=files", f"data.root={text_data}", "task.embedding_dim=8")
    files = export_model(ckpt, tmp_path / "export")
    files["onnx"].write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match=r"model=.*model.onnx is not a readable ONNX model \("):
        Predictor.from_exported(files["onnx"])
    with pytest.raises(ValueError, match=r"no model.json beside it"):
        Predictor.from_exported(ckpt)


def test_a_text_model_given_audio_says_what_it_reads(text_data, tmp_path):
    ckpt = trained(tmp_path, "data=files", f"data.root={text_data}", "task.embedding_dim=8")
    clip = write_tone(tmp_path / "call.wav", 1)
    with pytest.raises(ValueError, match=r"inputs: .*call.wav is a .wav file, but this model reads text"):
        Predictor.from_exported(export_model(ckpt, tmp_path / "export")["onnx"]).predict([str(clip)])


@pytest.mark.parametrize("encoder", ["mingru", "minlstm", "indrnn"])
def test_scan_and_indrnn_models_export_as_an_onnx_loop_over_any_length(text_data, tmp_path, encoder):
    """Two bidirectional layers (the configs' defaults); the texts are shorter than the trace's 6
    steps and longer, past one 64-step scan chunk, so a loop fixed at the trace's length fails the
    round trip."""
    ckpt = trained(tmp_path, "data=files", f"data.root={text_data}", f"encoder={encoder}",
                   "task.embedding_dim=8", "data.max_length=128")
    longest = " ".join(TEXTS * 3)
    _, lengths, _ = next(iter(Predictor.from_checkpoint(ckpt).datamodule.predict_loader([longest])))
    assert int(lengths[0]) > 64  # not cut to one chunk by the tokenizer
    contract = assert_round_trip(ckpt, tmp_path, [*TEXTS, longest])
    assert contract["recurrent_ops"] == ["Loop"]  # one op type: a Loop per layer and direction


class _UnrolledEncoder(SequenceEncoder):
    """Stands for an encoder of one's own that does not declare `exports_any_length`."""

    def forward(self, x, lengths):
        return x, x[:, 0]


def test_an_encoder_that_does_not_declare_a_free_length_is_refused():
    model = torch.nn.Module()
    model.encoder = _UnrolledEncoder(input_size=4, hidden_size=4)
    with pytest.raises(ValueError, match=r"encoder _UnrolledEncoder cannot be exported.*exports_any_length"):
        check_exportable(model)


def test_an_explicit_lstm_whose_loop_a_trace_would_fix_is_refused_before_anything_is_written(text_data,
                                                                                                tmp_path):
    ckpt = trained(tmp_path, "data=files", f"data.root={text_data}", "task.embedding_dim=8",
                   "encoder.impl=explicit")
    with pytest.raises(ValueError, match=r"the encoder LSTMEncoder\(impl='explicit'\) cannot be exported"):
        export_model(ckpt, tmp_path / "export")
    assert not (tmp_path / "export").exists()
