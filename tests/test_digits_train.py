"""task=digits end to end: the real Hydra config on tiny audio, the report, prediction from a checkpoint."""

import json

import pytest

from seqtasks.config.compose import load_config
from seqtasks.export.predict import predict
from seqtasks.reports import evaluate
from seqtasks.training.train import train
from tests.conftest import write_tone, write_tone_digits

TINY_MODEL = ["trainer=cpu", "encoder.hidden_size=16", "task.embedding_dim=16", "data.batch_size=8"]


@pytest.fixture(scope="module")
def tone_run(tmp_path_factory):
    root = write_tone_digits(tmp_path_factory.mktemp("tones") / "data", takes=14)
    (root / "1_alice_30.wav").write_text("not audio")  # skipped and counted
    run_dir = root.parent / "run"
    metrics = train(load_config(["task=digits", "data=fsdd", f"data.root={root}", *TINY_MODEL,
                                 "trainer.max_epochs=6", "task.lr=0.01", f"output_dir={run_dir}",
                                 f"data.cache_dir={root.parent}/cache"]))
    return run_dir, metrics


def test_digits_run_learns_and_counts_skipped_files_in_metrics_json(tone_run):
    run_dir, metrics = tone_run
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["test/acc"] >= 0.9  # two tones give each digit away
    assert saved["data/skipped_unreadable"] == 1 and saved["data/skipped_truncated"] == 0
    assert saved["data/test_size"] == 45 and saved["data/features_built"] == 1
    assert json.loads((run_dir / "labels.json").read_text()) == ["0", "1", "2"]


def test_report_names_audio_files_in_its_mistakes_table(tone_run):
    run_dir, _ = tone_run
    html = evaluate(run=run_dir, resamples=50).read_text()
    assert "Confusion matrix" in html and "LSTM gates" in html
    report = json.loads((run_dir / "report" / "metrics.json").read_text())
    assert report["confusion_matrix"]["labels"] == ["0", "1", "2"]


def test_report_scores_each_test_speaker(tone_run):
    run_dir, _ = tone_run
    evaluate(run=run_dir, resamples=50, out=run_dir / "speakers")
    report = json.loads((run_dir / "speakers" / "metrics.json").read_text())
    per_speaker = report["per_speaker"]
    assert sorted(per_speaker) == ["alice", "bob", "carol"]
    assert [d["n"] for d in per_speaker.values()] == [15, 15, 15]  # 3 digits x takes 0-4
    pooled = sum(d["acc"] * d["n"] for d in per_speaker.values()) / 45
    assert pooled == pytest.approx(report["test/acc"])


def test_prediction_reads_audio_files_with_the_checkpoint_alone(tone_run, tmp_path):
    run_dir, _ = tone_run
    files = [write_tone(tmp_path / f"{d}.wav", d, rate=16000, seed=99) for d in (0, 2)]
    records = predict(run_dir / "checkpoints" / "best.ckpt", [str(f) for f in files])
    assert [r["prediction"] for r in records] == ["0", "2"]
    assert set(records[0]["probabilities"]) == {"0", "1", "2"}


def test_cross_domain_evaluation_is_one_data_override(tone_run, tmp_path):
    run_dir, _ = tone_run
    other = write_tone_digits(tmp_path / "other", speakers=("dave",), takes=5)
    evaluate(run=run_dir, data={"test_source": "folder", "test_root": str(other)}, resamples=50,
             out=tmp_path / "cross")
    report = json.loads((tmp_path / "cross" / "metrics.json").read_text())
    assert sum(map(sum, report["confusion_matrix"]["counts"])) == 15  # dave's takes 0-4


def test_default_digits_task_trains_offline_on_synthesized_voices(tmp_path):
    """`python scripts/train.py task=digits`, shrunk: the espeak-ng corpus, synthesized into the cache."""
    synth = [f"data.synth.{k}={v}" for k, v in dict(voices=4, takes=1, val_voices=1, test_voices=1).items()]
    cfg = load_config(["task=digits", *TINY_MODEL, *synth, "trainer.max_epochs=1",
                       f"output_dir={tmp_path}/run", f"data.cache_dir={tmp_path}/cache"])
    assert cfg.data.source == "tts_digits"
    metrics = train(cfg)
    assert metrics["data/test_size"] == 10 and metrics["data/train_speakers"] == 2
    assert 0.0 <= metrics["test/acc"] <= 1.0


def test_data_labels_name_the_synthesized_source_and_the_test_source():
    from seqtasks.reports.summary import data_label

    assert data_label({"data": {"source": "tts_digits", "root": None}}) == "tts_digits"
    cross = {"source": "tts_digits", "test_source": "fsdd", "test_root": "/data/fsdd/recordings/"}
    assert data_label({"data": cross}) == "tts_digits -> recordings"
    assert data_label({"data": {"test_source": "tts_digits"}}) == "test-tts_digits"
