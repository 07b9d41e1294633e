"""DigitsDataModule: splits, caching, and every kind of bad audio input (skipped and counted, or refused)."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile as sf

from seqtasks.data import DigitsDataModule
from seqtasks.data.audio.features import wav_truncation
from tests.conftest import write_tone, write_tone_digits


def digits(root, **kwargs) -> DigitsDataModule:
    dm = DigitsDataModule(root=root, **kwargs)
    dm.prepare_data()
    dm.setup("fit")
    return dm


def takes(dm, split):
    return {int(name.split("_")[2].split(".")[0]) for name in dm.rows[split]["name"]}


def test_official_split_takes_test_from_index_0_to_4_and_validation_from_training(tone_root):
    dm = digits(tone_root)
    assert takes(dm, "test") == {0, 1, 2, 3, 4}
    assert takes(dm, "validation") == {5, 6, 7, 8, 9}
    assert takes(dm, "train") == {10, 11}
    assert (dm.stats["train_size"], dm.stats["validation_size"], dm.stats["test_size"]) == (18, 45, 45)
    assert dm.model_kwargs() == dict(num_features=20, num_classes=3, label_names=["0", "1", "2"])


def test_speaker_split_holds_out_whole_speakers(tone_root):
    dm = digits(tone_root, test_speakers=["bob"], val_speakers=["carol"])
    assert set(dm.rows["test"]["speaker"]) == {"bob"} and len(dm.rows["test"]["name"]) == 36
    assert set(dm.rows["validation"]["speaker"]) == {"carol"}
    assert set(dm.rows["train"]["speaker"]) == {"alice"}


def test_speaker_split_without_val_speakers_validates_on_takes_5_to_9_of_the_others(tone_root):
    dm = digits(tone_root, test_speakers=["bob"])
    assert set(dm.rows["validation"]["speaker"]) == {"alice", "carol"}
    assert takes(dm, "validation") == {5, 6, 7, 8, 9}
    assert takes(dm, "train") == {0, 1, 2, 3, 4, 10, 11}


def test_unknown_test_speaker_lists_the_known_ones(tone_root):
    known = r"speakers: \['alice', 'bob', 'carol'\]"
    with pytest.raises(ValueError, match=r"unknown speaker\(s\) \['zoe'\]; " + known):
        digits(tone_root, test_speakers=["zoe"])


def test_second_run_reads_cached_features(tone_root):
    first = digits(tone_root)
    second = digits(tone_root)
    assert (first.features_built, second.features_built) == (1, 0)
    assert second.prepare_seconds < first.prepare_seconds
    pairs = zip(first.rows["test"]["frames"], second.rows["test"]["frames"], strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)


def test_two_processes_preparing_at_once_build_the_cache_once(tone_root):
    """DDP ranks (or two runs) sharing a cold cache take turns: one builds, the other reads."""
    modules = [DigitsDataModule(root=tone_root) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda dm: dm.prepare_data(), modules))
    assert sorted(dm.features_built for dm in modules) == [0, 1]


def test_features_are_normalized_with_training_statistics(tone_root):
    dm = digits(tone_root)
    x, lengths, y = next(iter(dm.train_dataloader()))
    frames = torch_cat_valid(x, lengths)
    assert abs(float(frames.mean())) < 0.2 and abs(float(frames.std()) - 1) < 0.2
    assert x.shape[2] == 20 and len(y) == len(lengths)


def torch_cat_valid(x, lengths):
    import torch

    return torch.cat([x[i, : lengths[i]] for i in range(len(x))])


def test_label_folders_give_labels_and_a_stratified_split(tmp_path):
    for label in ("yes", "no"):
        (tmp_path / label).mkdir()
        for i in range(20):
            write_tone(tmp_path / label / f"{i}.wav", 1 if label == "yes" else 5, seed=i)
    dm = digits(tmp_path)
    assert dm.label_names == ["no", "yes"]
    assert sorted(dm.rows["test"]["label"]) == ["no"] * 2 + ["yes"] * 2
    assert dm.stats["train_size"] + dm.stats["validation_size"] + dm.stats["test_size"] == 40


def test_test_source_replaces_the_test_split_with_its_own_test_split(tone_root, tmp_path):
    other = write_tone_digits(tmp_path / "other", speakers=("dave",))
    dm = digits(tone_root, test_source="folder", test_root=other)
    assert set(dm.rows["test"]["speaker"]) == {"dave"} and takes(dm, "test") == {0, 1, 2, 3, 4}
    assert set(dm.rows["train"]["speaker"]) == {"alice", "bob", "carol"}


def test_extra_train_source_adds_its_own_training_split(tone_root, tmp_path):
    other = write_tone_digits(tmp_path / "other", speakers=("dave",))
    dm = digits(tone_root, extra_train_source="folder", extra_train_root=other)
    assert set(dm.rows["train"]["speaker"]) == {"alice", "bob", "carol", "dave"}
    assert dm.stats["train_size"] == 18 + 6 and "dave" not in dm.rows["test"]["speaker"]


def test_val_source_validates_on_other_voices_and_every_other_main_file_trains(tone_root, tmp_path):
    other = write_tone_digits(tmp_path / "other", speakers=("dave",))
    dm = digits(tone_root, test_speakers=["bob"], val_source="folder", val_root=other)
    assert set(dm.rows["validation"]["speaker"]) == {"dave"} and takes(dm, "validation") == {5, 6, 7, 8, 9}
    assert set(dm.rows["train"]["speaker"]) == {"alice", "carol"}
    assert takes(dm, "train") == {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}  # takes 5-9 train now


def test_val_source_and_val_speakers_together_are_refused(tone_root):
    with pytest.raises(ValueError, match=r"data.val_speakers=\['carol'\] and data.val_source=tts_digits"):
        DigitsDataModule(root=tone_root, test_speakers=["bob"], val_speakers=["carol"],
                         val_source="tts_digits")


# ---- bad input: one line, or skipped and counted ------------------------------------------------
def broken_files(root):
    """One file of each bad kind beside the good ones."""
    good = (root / "1_alice_0.wav").read_bytes()
    (root / "2_alice_20.wav").write_bytes(good[: len(good) // 2])  # truncated
    (root / "2_alice_21.wav").write_text("this is not audio")  # not audio at all
    sf.write(root / "2_alice_22.wav", np.zeros(0, "float32"), 8000)  # zero length
    sf.write(root / "2_alice_23.wav", np.zeros(4000, "float32"), 8000)  # all silent
    write_tone(root / "seven.wav", 7)  # name outside the FSDD pattern


def test_bad_files_are_skipped_and_counted_by_reason(tone_root):
    broken_files(tone_root)
    dm = digits(tone_root)
    counts = {k: v for k, v in dm.stats.items() if k.startswith("skipped_")}
    assert counts == dict(skipped_unreadable=1, skipped_truncated=1, skipped_empty=1, skipped_silent=1,
                          skipped_bad_name=1, skipped_empty_label_folder=0)
    assert dm.stats["train_size"] == 18  # the good files are all there


def click_in_silence() -> np.ndarray:
    """0.6 s of silence with a 40-sample click: trimming leaves one 10 ms frame."""
    wave = np.zeros(4800, "float32")
    wave[2400:2440] = 0.5
    return wave


@pytest.mark.parametrize("make, match", [
    (lambda r, good: (r / "2_alice_20.wav").write_bytes(good[:3000]),
     r"2_alice_20\.wav: truncated: data chunk holds"),
    (lambda r, good: (r / "2_alice_21.wav").write_text("hello"), r"2_alice_21\.wav: not readable audio"),
    (lambda r, good: sf.write(r / "2_alice_22.wav", np.zeros(0), 8000), r"2_alice_22\.wav: holds no samples"),
    (lambda r, good: sf.write(r / "2_alice_23.wav", np.zeros(800), 8000), r"2_alice_23\.wav: is silent"),
    (lambda r, good: sf.write(r / "2_alice_24.wav", click_in_silence(), 8000),
     r"2_alice_24\.wav: holds only 10 ms of sound \(under 50 ms\) after trimming silence"),
    (lambda r, good: write_tone(r / "seven.wav", 7), r"seven\.wav: does not match \{digit\}_\{speaker\}"),
])
def test_bad_file_is_a_one_line_error_when_configured(tone_root, make, match):
    make(tone_root, (tone_root / "1_alice_0.wav").read_bytes())
    with pytest.raises(ValueError, match=match + r".*set data.bad_files=skip") as info:
        digits(tone_root, bad_files="error")
    assert "\n" not in str(info.value)


def test_stereo_file_is_downmixed_and_kept(tone_root):
    write_tone(tone_root / "2_alice_0.wav", 2, channels=2)
    dm = digits(tone_root, bad_files="error")
    assert dm.stats["stereo_downmixed"] == 1 and dm.stats["test_size"] == 45


def test_file_at_another_rate_is_resampled_without_error(tone_root):
    write_tone(tone_root / "2_alice_0.wav", 2, rate=22050)
    dm = digits(tone_root, bad_files="error")
    assert dm.stats["resampled"] == 1
    index = dm.rows["test"]["name"].index("2_alice_0.wav")
    other = dm.rows["test"]["name"].index("2_bob_0.wav")  # the same 0.3 s at 8 kHz
    assert abs(len(dm.rows["test"]["frames"][index]) - len(dm.rows["test"]["frames"][other])) <= 1


def test_empty_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"data.root=.* holds no .wav/.flac/.ogg files"):
        digits(tmp_path)


def test_label_folder_without_files_is_counted_or_refused(tmp_path):
    root = tmp_path / "words"
    for label in ("yes", "no"):
        (root / label).mkdir(parents=True)
        for i in range(10):
            write_tone(root / label / f"{i}.wav", 1 if label == "yes" else 5, seed=i)
    (root / "maybe").mkdir()
    assert digits(root).stats["skipped_empty_label_folder"] == 1
    with pytest.raises(ValueError, match=r"maybe/: label folder holds no .wav/.flac/.ogg files"):
        digits(root, bad_files="error", cache_dir=str(tmp_path / "other_cache"))


def test_wav_truncation_reads_the_data_chunk_size(tmp_path):
    good = write_tone(tmp_path / "a.wav", 1).read_bytes()
    assert wav_truncation(good) is None
    assert wav_truncation(good[:100]).startswith("truncated: data chunk holds 56 of 4800 bytes")


@pytest.mark.parametrize("kwargs, match", [
    (dict(bad_files="ignore"), r"data.bad_files='ignore' is not one of \['skip', 'error'\]"),
    (dict(augment={"warp": 3}), r"data.augment has unknown key\(s\) \['warp'\]"),
    (dict(features="wav2vec"), r"data.features='wav2vec' is not one of \['mfcc', 'logmel'\]"),
    (dict(test_root="x"), r"data.test_root=x needs data.test_source"),
    (dict(val_root="x"), r"data.val_root=x needs data.val_source"),
    (dict(source="s3"), r"data.source='s3' is not one of"),
])
def test_bad_options_are_refused(tone_root, kwargs, match):
    with pytest.raises(ValueError, match=match):
        digits(tone_root, **kwargs)


def test_fsdd_offline_without_a_local_copy_says_what_to_pass():
    hint = r"network is off .*pass data.root=FOLDER .* or use data=tts_digits"
    with pytest.raises(ValueError, match=hint) as info:
        digits(None, source="fsdd")
    assert "\n" not in str(info.value)


def test_hub_offline_says_what_to_pass():
    with pytest.raises(ValueError, match=r"data.hub_id='x/y' needs the network.*data.root=FOLDER"):
        digits(None, source="hub", hub_id="x/y")


def fake_hub(monkeypatch, tmp_path, splits: dict[str, int]):
    """datasets.load_dataset answering with `n` tone clips per split; the first clip of each split
    stored as a path only, as some hub datasets do."""
    import datasets

    from seqtasks.data.audio import sources as audio_sources

    def rows(split, n):
        paths = [write_tone(tmp_path / f"{split}{i}.wav", i % 3, seed=i) for i in range(n)]
        audio = [{"bytes": None if i == 0 else p.read_bytes(), "path": str(p)} for i, p in enumerate(paths)]
        return datasets.Dataset.from_dict({"audio": audio, "label": [i % 3 for i in range(n)]})

    dsd = datasets.DatasetDict({split: rows(split, n) for split, n in splits.items()})
    monkeypatch.setattr(audio_sources, "offline", lambda: False)
    monkeypatch.setattr(audio_sources.datasets, "load_dataset", lambda *a, **k: dsd)


def test_hub_splits_keep_their_roles_and_path_only_audio_is_read(monkeypatch, tmp_path):
    fake_hub(monkeypatch, tmp_path, {"train": 12, "dev": 6, "test": 6})
    dm = digits(None, source="hub", hub_id="x/y")
    assert (dm.stats["train_size"], dm.stats["validation_size"], dm.stats["test_size"]) == (12, 6, 6)


def test_hub_split_of_unknown_role_is_refused(monkeypatch, tmp_path):
    fake_hub(monkeypatch, tmp_path, {"train": 6, "extra": 3})
    with pytest.raises(ValueError, match=r"x/y has a split 'extra' that is none of \['dev', 'test'"):
        digits(None, source="hub", hub_id="x/y")


def test_audio_in_a_subfolder_of_a_flat_fsdd_folder_is_counted_as_skipped(tone_root):
    (tone_root / "extra").mkdir()
    write_tone(tone_root / "extra" / "3_dave_0.wav", 3)
    dm = digits(tone_root)
    assert dm.stats["skipped_bad_name"] == 1 and "dave" not in dm.rows["train"]["speaker"]


def test_test_source_without_a_split_of_its_own_is_tested_whole(tone_root, tmp_path):
    other = tmp_path / "folders"
    for label in ("0", "1"):
        (other / label).mkdir(parents=True)
        for i in range(10):
            write_tone(other / label / f"{i}.wav", int(label), seed=i)
    dm = digits(tone_root, test_source="folder", test_root=other)
    assert dm.stats["test_size"] == 20  # every file, not a random tenth


def test_fsdd_repository_root_reads_its_recordings_folder_and_keeps_its_own_cache(tmp_path):
    """data.root=<FSDD repository> (audio in recordings/) once read as label folders (one class,
    'recordings') and, keyed without the root, poisoned the cache of the right root too; now both
    roots read recordings/ in the FSDD layout, so they share one correct cache."""
    repo = tmp_path / "free-spoken-digit-dataset"
    write_tone_digits(repo / "recordings")
    cache = tmp_path / "cache"
    for root in (repo, repo / "recordings"):
        data = digits(root, cache_dir=str(cache))
        assert sorted(data.label_names) == ["0", "1", "2"]
    assert len(list((cache / "audio").iterdir())) == 1
