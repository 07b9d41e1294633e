"""The feature cache of one audio source: decoded waveforms and feature frames of every usable file, as
an Arrow dataset on disk (`dataset/`), plus `meta.json` with the files skipped and why."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path

import datasets
import torch

from seqtasks.data.audio.features import BadAudio, FeatureFrames, decode_audio
from seqtasks.data.cache import built_atomically

log = logging.getLogger(__name__)
TEXT_COLUMNS = ("name", "label", "speaker", "group")


class SkipLog:
    """Bad files by reason: `skip(reason, name, detail)` records one, or raises a one-line error
    naming it when the policy is `error`."""

    def __init__(self, policy: str):
        self.policy, self.skipped = policy, {}

    def __call__(self, reason: str, name: str, detail: str) -> None:
        if self.policy == "error":
            raise ValueError(f"{name}: {detail} ({reason}); set data.bad_files=skip to skip such files")
        self.skipped.setdefault(reason, []).append(name)


def build_feature_cache(items: Iterable[dict], out: Path, featurizer: FeatureFrames, sample_rate: int,
                        trim_db: float | None, skip: SkipLog) -> None:
    """Decodes every item, computes its frames and writes the cache to `out` (through a temporary
    folder, renamed at the end: a crash never leaves half a cache); meta.json keeps `skip`'s record."""
    start = time.perf_counter()
    rows = {k: [] for k in (*TEXT_COLUMNS, "take", "waveform", "frames")}
    downmixed = resampled = 0
    for item in items:
        try:
            decoded = decode_audio(item["audio"], sample_rate, trim_db, item["name"])
        except BadAudio as e:
            skip(e.reason, item["name"], str(e).split(": ", 1)[1])
            continue
        downmixed, resampled = downmixed + decoded.downmixed, resampled + decoded.resampled
        for key in (*TEXT_COLUMNS, "take"):
            rows[key].append(item[key])
        rows["waveform"].append(decoded.waveform.numpy())
        rows["frames"].append(featurizer(decoded.waveform).numpy().reshape(-1))  # (T, F) flattened
    if not rows["name"]:
        counts = {reason: len(names) for reason, names in skip.skipped.items()}
        raise ValueError(f"no usable audio file: every file was skipped ({counts})")
    features = datasets.Features({**{k: datasets.Value("string") for k in TEXT_COLUMNS},
                                  "take": datasets.Value("int32"),
                                  "waveform": datasets.Sequence(datasets.Value("float32")),
                                  "frames": datasets.Sequence(datasets.Value("float32"))})
    with built_atomically(out) as tmp:
        datasets.Dataset.from_dict(rows, features=features).save_to_disk(str(tmp / "dataset"))
        meta = dict(skipped=skip.skipped, downmixed=downmixed, resampled=resampled)
        (tmp / "meta.json").write_text(json.dumps(meta))
    log.info("decoded %d files into features in %.1f s, cached in %s", len(rows["name"]),
             time.perf_counter() - start, out)


def read_feature_cache(path: Path, num_features: int, with_waveform: bool) -> tuple[dict, dict]:
    """The cached columns as lists (frames as (T, F) tensors; waveforms only when asked for) and meta.json."""
    table = datasets.load_from_disk(str(path / "dataset")).data
    columns = {k: table.column(k).to_pylist() for k in (*TEXT_COLUMNS, "take")}
    columns["frames"] = [f.view(-1, num_features) for f in _float_lists(table, "frames")]
    columns["waveform"] = _float_lists(table, "waveform") if with_waveform else None
    return columns, json.loads((path / "meta.json").read_text())


def _float_lists(table, column: str) -> list[torch.Tensor]:
    """A list<float32> Arrow column -> one tensor per row, views of one buffer (no row-wise reads)."""
    array = table.column(column).combine_chunks()
    values = torch.from_numpy(array.values.to_numpy(zero_copy_only=False).copy())
    offsets = array.offsets.to_numpy()
    return [values[offsets[i]:offsets[i + 1]] for i in range(len(array))]
