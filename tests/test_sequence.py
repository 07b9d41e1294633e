"""Digit strings from long recordings: the segmenter (thresholds above the noise floor keep quiet
fricatives), the seeded recording generator, and `predict ... mode=sequence` end to end."""

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from seqtasks.config.compose import load_config
from seqtasks.data.audio.features import trim_silence
from seqtasks.data.audio.recordings import make_recordings, speaker_clips
from seqtasks.data.audio.segments import SegmentSettings, speech_segments
from seqtasks.export.predict import predict
from seqtasks.training.train import train
from tests.conftest import script_error, write_tone_digits

RATE = 8000


def burst(ms: float, db: float, kind: str = "tone", seed: int = 0) -> np.ndarray:
    """`ms` of a 400 Hz tone (a vowel) or of white noise (a fricative, /s/) at `db` dB of full scale."""
    n = int(RATE * ms / 1000)
    rng = np.random.default_rng(seed)
    tone = np.sqrt(2) * np.sin(2 * np.pi * 400 * np.arange(n) / RATE)  # unit power, as the noise
    wave = tone if kind == "tone" else rng.standard_normal(n)
    return (wave * 10 ** (db / 20)).astype(np.float32)


def recording(*parts: np.ndarray, floor_db: float = -70.0) -> torch.Tensor:
    """The parts one after another over a steady noise floor at `floor_db`."""
    audio = np.concatenate(parts)
    return torch.from_numpy(audio + burst(len(audio) * 1000 / RATE, floor_db, "noise", seed=9))


def seconds(segments) -> list[tuple[float, float]]:
    return [(s / RATE, e / RATE) for s, e in segments]


def test_three_words_with_pauses_give_three_segments_padded_by_30_ms():
    wave = recording(burst(300, -70, "noise"), burst(400, -10), burst(250, -70, "noise"), burst(300, -14),
                     burst(250, -70, "noise"), burst(500, -8), burst(300, -70, "noise"))
    got = seconds(speech_segments(wave, RATE))
    want = [(0.30, 0.70), (0.95, 1.25), (1.50, 2.00)]
    assert len(got) == 3
    for (start, end), (true_start, true_end) in zip(got, want, strict=True):
        assert true_start - 0.045 <= start <= true_start - 0.015
        assert true_end + 0.015 <= end <= true_end + 0.045


def test_quiet_fricatives_at_both_ends_stay_inside_the_segment():
    """'six'-like: /s/ 35 dB under the vowel's peak before it and /ks/ after it, over a room-noise floor
    60 dB under the peak. A trim 30 dB under the peak loses both; the segmenter keeps both."""
    fricative = burst(120, -41, "noise", seed=1)
    wave = recording(burst(300, -70, "noise"), fricative, burst(250, -6), fricative, burst(300, -70, "noise"),
                     floor_db=-66)
    (start, end), = seconds(speech_segments(wave, RATE))
    assert start <= 0.30 and end >= 0.79  # fricatives: 0.30-0.42 and 0.67-0.79
    trimmed = len(trim_silence(wave, RATE, 30.0)) / RATE
    assert trimmed < 0.30  # the peak-relative trim keeps only the vowel (0.25 s)


def test_a_stop_closure_inside_a_word_is_merged_and_a_click_is_dropped():
    wave = recording(burst(200, -70, "noise"), burst(200, -10), burst(50, -70, "noise"), burst(150, -12),
                     burst(300, -70, "noise"), burst(30, -6), burst(300, -70, "noise"))
    got = seconds(speech_segments(wave, RATE))
    assert len(got) == 1 and got[0][0] < 0.2 and got[0][1] > 0.6


def test_noise_alone_or_digital_silence_has_no_segments():
    assert speech_segments(recording(burst(1000, -30, "noise")), RATE) == []
    assert speech_segments(torch.zeros(RATE), RATE) == []


def test_segment_settings_refuse_unknown_keys_and_inverted_thresholds():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['pad'\]; allowed: \['start_db'"):
        SegmentSettings.from_dict({"pad": 10})
    with pytest.raises(ValueError, match="keep_db=12 must be in"):
        SegmentSettings.from_dict({"keep_db": 12})


@pytest.fixture
def tone_clips(tmp_path):
    return speaker_clips(write_tone_digits(tmp_path / "tones", takes=3), speakers=["carol"])


def test_recordings_are_seeded_and_the_manifest_holds_strings_and_boundaries(tmp_path, tone_clips):
    first = make_recordings(tone_clips, tmp_path / "a", count=4, digits=(3, 5), seed=3)
    make_recordings(tone_clips, tmp_path / "b", count=4, digits=(3, 5), seed=3)
    assert (tmp_path / "a" / "rec0002.wav").read_bytes() == (tmp_path / "b" / "rec0002.wav").read_bytes()
    manifest = json.loads(first.read_text())
    assert [r["speaker"] for r in manifest["recordings"]] == ["carol"] * 4
    for rec in manifest["recordings"]:
        assert 3 <= len(rec["digits"]) <= 5 and rec["digits"] == "".join(s["digit"] for s in rec["segments"])
        starts, ends = [s["start"] for s in rec["segments"]], [s["end"] for s in rec["segments"]]
        pauses = np.array(starts[1:]) - np.array(ends[:-1])
        assert starts[0] >= 0.1 and ((pauses >= 0.099) & (pauses <= 0.601)).all()


def test_noise_is_added_at_the_chosen_snr(tmp_path, tone_clips):
    manifest = json.loads(make_recordings(tone_clips, tmp_path / "r", count=1, digits=(4, 4), gain_db=(0, 0),
                                          snr_db=10.0, seed=0).read_text())
    audio, _ = sf.read(tmp_path / "r" / "rec0000.wav", dtype="float32")
    spans = [(int(s["start"] * RATE), int(s["end"] * RATE)) for s in manifest["recordings"][0]["segments"]]
    noise = audio[: spans[0][0]]  # the leading pause holds noise alone
    speech = np.concatenate([audio[s:e] for s, e in spans])
    snr = 10 * np.log10((speech ** 2).mean() / (noise ** 2).mean() - 1)
    assert abs(snr - 10.0) < 1.0


def test_recordings_refuse_a_folder_holding_other_files(tmp_path, tone_clips):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="holds files other than recordings"):
        make_recordings(tone_clips, tmp_path, count=1)
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.fixture(scope="module")
def tone_model(tmp_path_factory):
    """A small digits model of three tone 'speakers', carol held out, with her recordings."""
    tmp = tmp_path_factory.mktemp("sequence")
    root = write_tone_digits(tmp / "tones")
    run = tmp / "run"
    train(load_config(["trainer=cpu", "trainer.max_epochs=4", "encoder.hidden_size=16", "task=digits",
                       "data=fsdd", f"data.root={root}", "data.test_speakers=[carol]",
                       "data.speaker_norm=true", "task.embedding_dim=8", f"output_dir={run}",
                       f"data.cache_dir={tmp}/cache"]))
    manifest = make_recordings(speaker_clips(root, ["carol"]), tmp / "calls", count=6, digits=(3, 6), seed=1)
    return str(run / "checkpoints" / "best.ckpt"), json.loads(manifest.read_text()), tmp / "calls", root


def test_predict_mode_sequence_finds_each_digit_where_it_was_spoken(tone_model):
    """Each digit's segment lies where the generator put it, and the digits are read about as well
    as the same model reads the held-out speaker's clips one at a time."""
    ckpt, manifest, folder, root = tone_model
    records = predict(ckpt, [str(folder / r["file"]) for r in manifest["recordings"]], mode="sequence")
    for record, truth in zip(records, manifest["recordings"], strict=True):
        assert len(record["segments"]) == len(truth["segments"])
        for got, want in zip(record["segments"], truth["segments"], strict=True):
            assert abs(got["start"] - want["start"]) < 0.05 and abs(got["end"] - want["end"]) < 0.05
            assert 0 < got["p"] <= 1 and got["digit"] in "012"
    right = sum(g == t for r, tr in zip(records, manifest["recordings"], strict=True)
                for g, t in zip(r["digits"], tr["digits"], strict=True))
    clips = speaker_clips(root, ["carol"])
    clip_acc = np.mean([r["prediction"] == d for r, (_, d, _) in
                        zip(predict(ckpt, [p for p, _, _ in clips]), clips, strict=True)])
    assert right / sum(len(r["digits"]) for r in manifest["recordings"]) >= clip_acc - 0.1 > 0.5


def test_a_recording_without_speech_gives_an_empty_string_and_a_note(tone_model, tmp_path):
    ckpt = tone_model[0]
    sf.write(tmp_path / "hiss.wav", burst(2000, -30, "noise"), RATE)
    sf.write(tmp_path / "quiet.wav", np.zeros(RATE, dtype=np.float32), RATE)
    hiss, quiet = predict(ckpt, [str(tmp_path / "hiss.wav"), str(tmp_path / "quiet.wav")], mode="sequence")
    assert hiss["digits"] == "" and hiss["segments"] == [] and "no speech found" in hiss["note"]
    assert quiet["digits"] == "" and quiet["note"] == "silent file"


def test_mode_sequence_refuses_a_text_model_and_an_unknown_mode(tiny_run, tone_model, tmp_path):
    with pytest.raises(ValueError, match="mode=sequence reads recordings with an audio model; this model's "
                                         "data is TextDataModule"):
        predict(str(tiny_run / "checkpoints" / "best.ckpt"), ["a text"], mode="sequence")
    with pytest.raises(ValueError, match=r"mode='words' is not one of \['clip', 'sequence'\]"):
        predict(tone_model[0], ["x.wav"], mode="words")


def test_the_recordings_command_names_a_missing_clips_folder(monkeypatch, tmp_path):
    message = script_error(monkeypatch, "recordings.py", f"root={tmp_path}/none", f"out={tmp_path}/r")
    assert message == f"error: root={tmp_path}/none is not a folder of clips"
