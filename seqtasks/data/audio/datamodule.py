"""Spoken-digit (any labelled audio) data: a source -> decoded, resampled waveforms and feature frames,
cached as Arrow on disk -> normalized, optionally augmented, length-bucketed batches
(frames [B, T, F], lengths [B], y [B])."""

from __future__ import annotations

import json
import logging
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch
from filelock import FileLock
from torch.utils.data import DataLoader

from seqtasks.data.audio.augment import build_augmentation
from seqtasks.data.audio.cache import SkipLog, build_feature_cache, read_feature_cache
from seqtasks.data.audio.features import AUDIO_SUFFIXES, FeatureFrames, decode_audio
from seqtasks.data.audio.sources import open_audio_source
from seqtasks.data.audio.speaker_norm import speaker_key, speaker_statistics
from seqtasks.data.audio.speech import synth_settings
from seqtasks.data.audio.splits import SPLIT_NAMES, assign_splits, has_own_split
from seqtasks.data.batching import epoch_loader
from seqtasks.data.cache import content_key, default_cache_dir
from seqtasks.data.splits import SplitDataModule, check_known_labels
from seqtasks.values import check_positive_int, check_share

log = logging.getLogger(__name__)
CACHE_VERSION = 1
BAD_FILE_POLICIES = ("skip", "error")
SKIP_REASONS = ("unreadable", "truncated", "empty", "silent", "bad_name", "empty_label_folder")


class DigitsDataModule(SplitDataModule):
    """Labelled audio from `source` (folder, fsdd, tts_digits, hub) as feature frames.

    Every file is decoded once (soundfile), downmixed to mono, resampled to `sample_rate`, trimmed
    of leading and trailing silence and turned into `features` (mfcc or logmel); waveforms and
    frames are cached on disk under a key of the source's content and these settings, so a second
    run reads them at once. Frames are normalized per feature with the training split's mean and
    standard deviation, after subtracting each utterance's own mean per feature when `utterance_norm`
    (cepstral mean normalization: it removes much of a voice's and a microphone's colour), or after
    standardizing each speaker's frames with that speaker's statistics when `speaker_norm` (see
    `speaker_norm.py`; a test speaker's come from its unlabelled test audio, prediction inputs given
    together count as one speaker).
    `augment` changes training batches only. Bad files are skipped and counted, or refused
    (`bad_files`). `test_source`/`test_root` replace the test split with another source's own
    test split: train on synthesized digits, test on FSDD, or the reverse; `extra_train_source`
    adds another source's own training split to training (synthesized voices beside recordings);
    `val_source`/`val_root` replace the validation split with another source's own validation
    split (e.g. held-out synthesized voices, so that a speaker-independent run chooses its
    checkpoint on unseen voices while all its recorded speakers train).
    """

    def __init__(self, source: str = "folder", root=None, hub_id=None, synth: dict | None = None,
                 test_source: str | None = None, test_root=None, val_source: str | None = None,
                 val_root=None, extra_train_source: str | None = None, extra_train_root=None,
                 test_speakers: list[str] | None = None, val_speakers: list[str] | None = None,
                 val_indices: tuple[int, int] = (5, 9), val_fraction: float = 0.1,
                 test_fraction: float = 0.1, sample_rate: int = 8000, features: str = "mfcc",
                 n_mels: int = 40, n_mfcc: int = 20, win_ms: float = 25.0, hop_ms: float = 10.0,
                 trim_db: float | None = 40.0, utterance_norm: bool = False, speaker_norm: bool = False,
                 augment: dict | None = None, bad_files: str = "skip", batch_size: int = 32,
                 bucket: bool = True, num_workers: int = 0, seed: int = 0, cache_dir: str | None = None):
        super().__init__()
        if bad_files not in BAD_FILE_POLICIES:
            raise ValueError(f"data.bad_files='{bad_files}' is not one of {list(BAD_FILE_POLICIES)}")
        for role, role_root, role_source in (("test", test_root, test_source), ("val", val_root, val_source)):
            if role_root is not None and role_source is None:
                raise ValueError(f"data.{role}_root={role_root} needs data.{role}_source (folder or fsdd)")
        if utterance_norm and speaker_norm:
            raise ValueError("data.utterance_norm=true and data.speaker_norm=true: give one (each removes a "
                             "voice's colour its own way)")
        if val_source is not None and val_speakers:
            raise ValueError(f"data.val_speakers={list(val_speakers)} and data.val_source={val_source} both "
                             "name the validation set; give one")
        for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
            check_share(f"data.{name}", value)
        for name, value in (("sample_rate", sample_rate), ("batch_size", batch_size)):
            check_positive_int(f"data.{name}", value)
        self.sources = {"main": (source, root, hub_id), "test": (test_source, test_root, None),
                        "val": (val_source, val_root, None),
                        "extra": (extra_train_source, extra_train_root, None)}
        if "tts_digits" in (source, test_source, val_source, extra_train_source):
            synth_settings(synth)  # refuses bad synth settings before anything is read
        self.synth, self.bad_files = synth, bad_files
        self.split_args = dict(test_speakers=test_speakers, val_speakers=val_speakers,
                               val_indices=tuple(val_indices), val_fraction=val_fraction,
                               test_fraction=test_fraction, seed=seed)
        self.audio_args = dict(sample_rate=sample_rate, kind=features, n_mels=n_mels, n_mfcc=n_mfcc,
                               win_ms=win_ms, hop_ms=hop_ms)
        self.trim_db, self.utterance_norm, self.speaker_norm = trim_db, utterance_norm, speaker_norm
        self.speaker_stats: dict = {}  # speaker_norm: speaker key -> (mean, std)
        self.featurizer = FeatureFrames(**self.audio_args)
        self.wave_augment, self.spec_augment = build_augmentation(augment, sample_rate)
        self.batch_size, self.bucket, self.num_workers, self.seed = batch_size, bucket, num_workers, seed
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.rows: dict[str, dict] | None = None  # per split: name, label, speaker, frames, y, ...
        self.stats: dict = {}
        self.prepare_seconds, self.features_built = 0.0, 0  # what data preparation cost this run

    # ---- preparation (once per source, cached) ---------------------------------------------
    def prepare_data(self) -> None:
        """Decodes and caches every source whose features are not cached yet."""
        start = time.perf_counter()
        for source, root, hub_id in self.sources.values():
            if source is not None:
                self._prepared(source, root, hub_id)
        self.prepare_seconds += time.perf_counter() - start

    def _prepared(self, source: str, root, hub_id) -> Path:
        """The feature cache of one source, built (synthesized or downloaded first) when missing.
        Several processes (DDP ranks, two runs sharing a cache) take turns under a file lock: the
        first builds, the others find the cache built."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.cache_dir / "audio.lock")):
            return self._prepared_locked(source, root, hub_id)

    def _prepared_locked(self, source: str, root, hub_id) -> Path:
        fingerprint, list_items = open_audio_source(source, root, hub_id, self.synth, self.cache_dir)
        settings = dict(v=CACHE_VERSION, src=fingerprint, trim_db=self.trim_db, **self.audio_args)
        out = self.cache_dir / "audio" / content_key(settings)
        if not (out / "meta.json").is_file():
            skip = SkipLog(self.bad_files)
            build_feature_cache(list_items(skip), out, self.featurizer, self.audio_args["sample_rate"],
                                self.trim_db, skip)
            self.features_built += 1
        else:
            log.info("using cached audio features %s", out)
        skipped = json.loads((out / "meta.json").read_text())["skipped"]
        if skipped:  # cached by a run that skipped them: refused now if the policy is error
            reason, names = next(iter(skipped.items()))
            SkipLog(self.bad_files)(reason, names[0], "a bad file")
        return out

    # ---- loading ---------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.rows is not None:
            return
        start = time.perf_counter()
        main, main_meta = self._load("main")
        split = assign_splits(main["label"], main["speaker"], main["take"], main["group"], **self.split_args)
        self.rows = {name: _subset(main, np.flatnonzero(split == name)) for name in SPLIT_NAMES}
        self.stats = _file_stats(main_meta, "")
        if self.sources["val"][0] is not None:  # the main source's validation rows train instead
            self.rows["train"] = _concat(self.rows["train"], self.rows.pop("validation"))
        others = (("test", "test", "test_source_"), ("val", "validation", "val_source_"),
                  ("extra", "train", "extra_train_"))
        for role, split_name, prefix in others:
            if self.sources[role][0] is not None:  # another source's own test/validation/train split
                other, other_meta = self._load(role)  # all of it when it has no split of its own
                picked = other
                if has_own_split(other["take"], other["group"]):
                    own = assign_splits(other["label"], other["speaker"], other["take"], other["group"])
                    picked = _subset(other, np.flatnonzero(own == split_name))
                self.rows[split_name] = _concat(self.rows["train"], picked) if role == "extra" else picked
                self.stats.update(_file_stats(other_meta, prefix))
        self.label_names = sorted(set(self.rows["train"]["label"]))
        self._label_ids()
        for name, rows in self.rows.items():
            rows["norm_key"] = [speaker_key(speaker, name) for speaker in rows["speaker"]]
        if self.speaker_norm:
            frames = [f for rows in self.rows.values() for f in rows["frames"]]
            keys = [k for rows in self.rows.values() for k in rows["norm_key"]]
            self.speaker_stats = speaker_statistics(frames, keys)
        train = self.rows["train"]
        train_frames = torch.cat([self._colour_removed(f, k)  # (N_frames, F)
                                  for f, k in zip(train["frames"], train["norm_key"], strict=True)])
        self.mean, self.std = train_frames.mean(0), train_frames.std(0).clamp_min(1e-5)
        self.stats.update({f"{name}_size": len(rows["name"]) for name, rows in self.rows.items()})
        self.prepare_seconds += time.perf_counter() - start
        self.stats.update(prep_seconds=round(self.prepare_seconds, 2), features_built=self.features_built)
        if self.rows["train"]["speaker"][0]:
            self.stats["train_speakers"] = len(set(self.rows["train"]["speaker"]))
        log.info("data: %s", self.stats)

    def _load(self, role: str) -> tuple[dict, dict]:
        """The cached columns of one source, and its meta.json; skipped files are logged every run."""
        path = self._prepared(*self.sources[role])
        columns, meta = read_feature_cache(path, self.featurizer.num_features, self.wave_augment.active)
        if meta["skipped"]:
            log.warning("%s source: skipped %d bad audio files: %s; first: %s", role,
                        sum(map(len, meta["skipped"].values())), _counts(meta["skipped"]),
                        {r: names[0] for r, names in meta["skipped"].items()})
        return columns, meta

    def _label_ids(self) -> None:
        to_id = {name: i for i, name in enumerate(self.label_names)}
        for name, rows in self.rows.items():
            check_known_labels(rows["label"], self.label_names, f"of the {name} split")
            rows["y"] = torch.tensor([to_id[v] for v in rows["label"]])

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    def model_kwargs(self) -> dict:
        """The sizes a model takes from the data, so they are never typed twice."""
        return dict(num_features=self.featurizer.num_features, num_classes=self.num_classes,
                    label_names=list(self.label_names))

    # ---- batches ---------------------------------------------------------------------------
    def _colour_removed(self, frames: torch.Tensor, key: str | None) -> torch.Tensor:
        if self.utterance_norm:
            return frames - frames.mean(0)
        if self.speaker_norm:
            mean, std = self.speaker_stats[key]
            return (frames - mean) / std
        return frames

    def normalize(self, frames: torch.Tensor, key: str | None = None) -> torch.Tensor:
        """Frames (T, F) of the speaker `key` -> the utterance's mean or the speaker's statistics
        removed (if configured), then standardized per feature with the training statistics."""
        return (self._colour_removed(frames, key) - self.mean) / self.std

    def _train_frames(self, i: int) -> torch.Tensor:
        rows = self.rows["train"]
        key = rows["norm_key"][i]
        if self.wave_augment.active:
            frames = self.normalize(self.featurizer(self.wave_augment(rows["waveform"][i])), key)
        else:
            frames = self.normalize(rows["frames"][i], key)
        return self.spec_augment(frames) if self.spec_augment.active else frames

    def _batch(self, split: str, indices: list[int]):
        rows = self.rows[split]
        frames = [self._train_frames(i) if split == "train"
                  else self.normalize(rows["frames"][i], rows["norm_key"][i]) for i in indices]
        return (*pad_frames(frames), rows["y"][indices])

    def lengths(self, split: str) -> torch.Tensor:
        """Feature frames per utterance of `split`: what length bucketing sorts by."""
        return torch.tensor([len(f) for f in self.rows[split]["frames"]])

    def _loader(self, split: str) -> DataLoader:
        """Length-bucketed batches of row indices, collated into frames here, shared out among DDP
        processes (see `epoch_loader`)."""
        lengths = self.lengths(split)
        return epoch_loader(range(len(lengths)), self.batch_size, shuffle=split == "train", seed=self.seed,
                            trainer=self.trainer, lengths=lengths, bucket=self.bucket,
                            num_workers=self.num_workers, collate_fn=partial(self._batch, split))

    # ---- checkpoints, reports and prediction -----------------------------------------------
    def state_dict(self) -> dict:
        """Saved inside every checkpoint: label names and the training normalization."""
        return dict(label_names=list(self.label_names), mean=self.mean.tolist(), std=self.std.tolist())

    def load_state_dict(self, state: dict) -> None:
        """Adopts a checkpoint's label names and normalization, so a trained model reads this data
        (or raw audio) exactly as it read its training data."""
        self.mean, self.std = torch.tensor(state["mean"]), torch.tensor(state["std"])
        self.label_names = list(state["label_names"])
        if self.rows is not None:
            self._label_ids()

    def save_artifacts(self, run_dir: Path) -> None:
        (Path(run_dir) / "labels.json").write_text(json.dumps(self.label_names, indent=1))
        (Path(run_dir) / "normalization.json").write_text(json.dumps(
            {"mean": self.mean.tolist(), "std": self.std.tolist()}, indent=1))

    def describe(self, split: str, indices: list[int]) -> list[str]:
        """Each row as a person finds it: the file name and its length in seconds."""
        rows, hop = self.rows[split], self.audio_args["hop_ms"] / 1000
        return [f"{rows['name'][i]} ({len(rows['frames'][i]) * hop:.2f} s)" for i in indices]

    def speakers(self, split: str, indices: list[int]) -> list[str]:
        """The speaker of each row (file names' speaker, voice id; '' when the source has none)."""
        return [self.rows[split]["speaker"][i] or "" for i in indices]

    def step_labels(self, split: str, index: int) -> list[str]:
        """One label per frame: its time in seconds, for plots over time."""
        hop = self.audio_args["hop_ms"] / 1000
        return [f"{t * hop:.2f}s" for t in range(len(self.rows[split]["frames"][index]))]

    def read_inputs(self, inputs: list[str]) -> list[str]:
        """Audio files to predict: each item is a file, or a folder whose audio files are all read."""
        paths = []
        for item in map(Path, inputs):
            if item.is_dir():
                paths += sorted(str(p) for p in item.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
            elif item.is_file():
                paths.append(str(item))
            else:
                raise FileNotFoundError(f"inputs: audio file {item} does not exist")
        return paths

    def predict_loader(self, paths: list[str]) -> DataLoader:
        """Audio files -> batches (frames [B, T, F], lengths [B], dummy labels [B]) in input order;
        a bad file stops with its name and reason."""
        rate = self.audio_args["sample_rate"]
        return self.waveform_loader([decode_audio(p, rate, self.trim_db).waveform for p in paths])

    def waveform_loader(self, waveforms: list[torch.Tensor]) -> DataLoader:
        """Waveforms (samples,) at the data's rate, already trimmed -> batches as `predict_loader`'s;
        with `speaker_norm` the waveforms given together are taken as one speaker."""
        raw = [self.featurizer(w) for w in waveforms]
        if self.speaker_norm:
            self.speaker_stats["<inputs>"] = speaker_statistics(raw, ["<inputs>"] * len(raw))["<inputs>"]
        frames = [self.normalize(f, "<inputs>") for f in raw]
        collate = lambda rows: (*pad_frames(rows), torch.zeros(len(rows), dtype=torch.long))  # noqa: E731
        return DataLoader(frames, batch_size=self.batch_size, shuffle=False, collate_fn=collate)


def pad_frames(frames: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames [(T_i, F)] -> zero-padded x (B, T, F) and lengths (B,)."""
    lengths = torch.tensor([len(f) for f in frames])
    return torch.nn.utils.rnn.pad_sequence(frames, batch_first=True), lengths


def _subset(columns: dict, index: np.ndarray) -> dict:
    return {k: None if v is None else [v[i] for i in index] for k, v in columns.items()}


def _concat(first: dict, second: dict) -> dict:
    return {k: None if v is None else v + second[k] for k, v in first.items()}


def _counts(skipped: dict[str, list[str]]) -> dict[str, int]:
    return {reason: len(names) for reason, names in skipped.items()}


def _file_stats(meta: dict, prefix: str) -> dict[str, int]:
    """Skip counts by reason (zeros included: nothing is dropped unsaid), downmixed and resampled files."""
    counts = _counts(meta["skipped"])
    return {**{f"{prefix}skipped_{reason}": counts.get(reason, 0) for reason in SKIP_REASONS},
            f"{prefix}stereo_downmixed": meta["downmixed"], f"{prefix}resampled": meta["resampled"]}
