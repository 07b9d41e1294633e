"""Spoken digits synthesized offline with the espeak-ng library of the espeakng-loader wheel."""

import json

import numpy as np
import pytest
import soundfile as sf

from seqtasks.data import DigitsDataModule
from seqtasks.data.audio.speech import plan_corpus, synth_settings, synthesize_digits

TINY = dict(voices=4, takes=1, val_voices=1, test_voices=1)


@pytest.fixture(scope="module")
def tts_data(tmp_path_factory) -> DigitsDataModule:
    """data=tts_digits with a tiny corpus: 4 voices x 10 digits x 1 take, synthesized into the cache."""
    dm = DigitsDataModule(source="tts_digits", synth=TINY, cache_dir=str(tmp_path_factory.mktemp("cache")))
    dm.prepare_data()
    dm.setup("fit")
    return dm


@pytest.fixture(scope="module")
def corpus(tts_data):
    (folder,) = (tts_data.cache_dir / "tts_digits").iterdir()
    return folder


def test_corpus_holds_every_digit_of_every_voice_in_the_fsdd_layout(corpus):
    manifest = json.loads((corpus / "manifest.json").read_text())
    voices = [v["id"] for v in manifest["voices"]]
    expected = sorted(f"{d}_{v}_0.wav" for d in range(10) for v in voices)
    assert sorted(p.name for p in corpus.glob("*.wav")) == expected
    assert sorted(v["group"] for v in manifest["voices"]) == ["test", "train", "train", "validation"]


def test_synthesized_words_are_speech_long_and_loud(corpus):
    for path in sorted(corpus.glob("*.wav"))[:10]:
        samples, rate = sf.read(path)
        assert rate == 22050
        assert 0.2 < len(samples) / rate < 2.0, path.name
        assert np.abs(samples).max() > 0.05, path.name


def test_same_seed_gives_the_same_files_byte_for_byte(corpus, tmp_path):
    again = synthesize_digits(tmp_path / "again", TINY)
    for path in corpus.glob("*.wav"):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_another_seed_gives_other_voices():
    first, second = plan_corpus(synth_settings(TINY)), plan_corpus(synth_settings({**TINY, "seed": 1}))
    assert [v["id"] for v in first["voices"]] != [v["id"] for v in second["voices"]]


def test_held_out_voices_are_the_test_split(tts_data):
    test, train = set(tts_data.rows["test"]["speaker"]), set(tts_data.rows["train"]["speaker"])
    assert len(test) == 1 and len(train) == 2 and not test & train
    assert tts_data.stats["test_size"] == 10 and tts_data.stats["resampled"] == 40  # 22.05 -> 8 kHz


def test_bad_synth_settings_are_refused():
    with pytest.raises(ValueError, match=r"data.synth has unknown key\(s\) \['voice'\]"):
        synth_settings({"voice": 3})
    with pytest.raises(ValueError, match=r"val_voices \+ test_voices \(1 \+ 3\) must leave training voices"):
        synth_settings({"voices": 4, "val_voices": 1, "test_voices": 3})
