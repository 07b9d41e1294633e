"""Where labelled audio comes from, as a list of items {name, audio (path or bytes), label, speaker,
take, group}: a folder in the FSDD layout (`{digit}_{speaker}_{index}.wav`) or the
`label_name/file.wav` layout, FSDD itself (a local copy, or its public archive downloaded into the
cache when online), the spoken digits synthesized offline, or a hub dataset (online).

`group` is the source's own split where it has one (train / validation / test of the synthesized
corpus or of a hub dataset), else empty; `take` is the FSDD index, else -1."""

from __future__ import annotations

import io
import json
import logging
import re
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import datasets

from seqtasks.data.audio.features import AUDIO_SUFFIXES
from seqtasks.data.audio.speech import synth_settings, synthesize_digits
from seqtasks.data.cache import built_atomically, content_key, stat_fingerprint

log = logging.getLogger(__name__)
SOURCES = ("folder", "fsdd", "tts_digits", "hub")
FSDD_NAME = re.compile(r"^(?P<label>\d)_(?P<speaker>[A-Za-z0-9-]+)_(?P<take>\d+)$")
FSDD_ARCHIVE = "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/heads/master.zip"
FSDD_HINT = ("pass data.root=FOLDER holding FSDD's {digit}_{speaker}_{index}.wav files (e.g. "
             "data/fsdd/recordings from `seqtasks data fetch fsdd --to data`), or use data=tts_digits "
             "(synthesized offline)")

Skip = Callable[[str, str, str], None]  # (reason, name, detail): count it, or raise (SkipLog)


def offline() -> bool:
    return bool(datasets.config.HF_HUB_OFFLINE)


def open_audio_source(source: str, root=None, hub_id=None, synth=None, cache_dir: Path = Path(".")):
    """Checks the source -> (fingerprint, list_items), where list_items(skip) reads the file list;
    the fingerprint changes when the content does, so it keys the feature cache."""
    if source not in SOURCES:
        raise ValueError(f"data.source='{source}' is not one of {list(SOURCES)}")
    if source == "tts_digits":
        folder, settings = tts_folder(synth, cache_dir), synth_settings(synth)
        return f"tts-{folder.name}", lambda skip: _tts_items(_synthesized(folder, settings), skip)
    if source == "hub":
        if not hub_id:
            raise ValueError("data.source=hub needs data.hub_id=NAME")
        return _open_hub(hub_id, cache_dir)
    if source == "fsdd" and root is None:
        root = fsdd_download(cache_dir)
    if root is None:
        raise ValueError("data.source=folder needs data.root=FOLDER (label_name/*.wav or "
                         "{digit}_{speaker}_{index}.wav files)")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data.root={root} does not exist or is not a folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    if not files:
        raise FileNotFoundError(f"data.root={root} holds no {'/'.join(AUDIO_SUFFIXES)} files (expected "
                                f"{{digit}}_{{speaker}}_{{index}}.wav or label_name/file.wav)")
    if _is_fsdd_repository(root, files):  # decided from file names, before any decoding
        log.info("data.root=%s is FSDD's repository: reading its recordings/ folder", root)
        root = root / "recordings"
    # the root and its layout shape the labels, so they key the cache beside the files themselves
    fingerprint = content_key([str(root.resolve()), stat_fingerprint(files)])
    return fingerprint, lambda skip: _folder_items(root, files, skip)


def _is_fsdd_repository(root: Path, files: list[Path]) -> bool:
    """The folder one gets from FSDD's public repository: every audio file in recordings/, each
    named {digit}_{speaker}_{index}.wav (read as label folders it would be one class, 'recordings')."""
    return all(p.parent == root / "recordings" and FSDD_NAME.match(p.stem) for p in files)


def _folder_items(root: Path, files: list[Path], skip: Skip) -> list[dict]:
    """Files directly in `root`: the FSDD layout; otherwise one folder per label."""
    flat = [p for p in files if p.parent == root]
    if flat:
        items = []
        for p in files:
            if p.parent != root:  # FSDD is flat: audio in sub-folders is not part of it
                skip("bad_name", str(p.relative_to(root)), "lies in a sub-folder of a flat FSDD folder")
                continue
            match = FSDD_NAME.match(p.stem)
            if match is None:
                skip("bad_name", p.name, "does not match {digit}_{speaker}_{index}.wav")
                continue
            items.append(dict(name=p.name, audio=str(p), label=match["label"], speaker=match["speaker"],
                              take=int(match["take"]), group=""))
        return items
    for folder in sorted(d for d in root.iterdir() if d.is_dir()):
        if not any(p.parent == folder for p in files):
            skip("empty_label_folder", folder.name + "/",
                 f"label folder holds no {'/'.join(AUDIO_SUFFIXES)} files")
    for p in files:
        if p.parent.parent != root:
            skip("bad_name", str(p.relative_to(root)), "lies deeper than label_name/file")
    return [dict(name=str(p.relative_to(root)), audio=str(p), label=p.parent.name, speaker="", take=-1,
                 group="") for p in files if p.parent.parent == root]


def tts_folder(synth: dict | None, cache_dir: Path) -> Path:
    """Where the synthesized corpus of `synth` settings lies (or will lie) in the cache."""
    return Path(cache_dir) / "tts_digits" / content_key(synth_settings(synth))


def _synthesized(folder: Path, settings: dict) -> Path:
    if not (folder / "manifest.json").is_file():
        start = time.perf_counter()
        synthesize_digits(folder, settings)
        log.info("synthesized %d spoken digits with espeak-ng in %.1f s into %s",
                 settings["voices"] * settings["takes"] * 10, time.perf_counter() - start, folder)
    return folder


def _tts_items(folder: Path, skip: Skip) -> list[dict]:
    manifest = json.loads((folder / "manifest.json").read_text())
    groups = {v["id"]: v["group"] for v in manifest["voices"]}
    items = _folder_items(folder, sorted(folder.glob("*.wav")), skip)
    for item in items:
        item["group"] = groups[item["speaker"]]
    return items


def fsdd_download(cache_dir: Path) -> Path:
    """FSDD's recordings folder in the cache, downloaded there once from the public archive (the
    GitHub repository's zip) when online; offline, a one-line error says what to pass instead."""
    folder = cache_dir / "fsdd" / "recordings"
    if folder.is_dir():
        return folder
    if offline():
        raise ValueError(f"FSDD is not in the cache ({folder}) and the network is off (HF_HUB_OFFLINE); "
                         + FSDD_HINT)
    log.info("downloading FSDD from %s", FSDD_ARCHIVE)
    try:
        with urllib.request.urlopen(FSDD_ARCHIVE, timeout=60) as response:
            archive = zipfile.ZipFile(io.BytesIO(response.read()))
    except OSError as e:
        raise ValueError(f"could not download FSDD ({type(e).__name__}: {e}); " + FSDD_HINT) from None
    with built_atomically(folder) as tmp:
        for member in archive.namelist():
            if "/recordings/" in member and member.endswith(".wav"):
                (tmp / Path(member).name).write_bytes(archive.read(member))
    return folder


HUB_SPLIT_GROUPS = {"train": "train", "validation": "validation", "valid": "validation", "dev": "validation",
                    "val": "validation", "test": "test"}  # a hub split -> ours


def _open_hub(hub_id: str, cache_dir: Path):
    """A hub dataset with an `audio` column and a `label` column, read undecoded (datasets decodes
    audio through torchcodec and FFmpeg; soundfile needs neither)."""
    if offline():
        raise ValueError(f"data.hub_id='{hub_id}' needs the network, but HF_HUB_OFFLINE is set; pass "
                         f"data.source=folder data.root=FOLDER with local audio files instead")
    try:
        dsd = datasets.load_dataset(hub_id, cache_dir=str(cache_dir / "hf"))
    except (ConnectionError, OSError) as e:
        raise ValueError(f"could not load data.hub_id='{hub_id}' ({type(e).__name__}); offline, pass "
                         f"data.source=folder data.root=FOLDER instead") from e
    fingerprint = content_key([ds._fingerprint for ds in dsd.values()])

    def list_items(skip: Skip) -> list[dict]:
        items = []
        for split, ds in dsd.items():
            for column in ("audio", "label"):
                if column not in ds.column_names:
                    raise ValueError(f"{hub_id}[{split}] has no '{column}' column ({ds.column_names})")
            ds = ds.cast_column("audio", datasets.Audio(decode=False))
            label_feature = ds.features["label"]
            names = label_feature.names if isinstance(label_feature, datasets.ClassLabel) else None
            group = HUB_SPLIT_GROUPS.get(split)
            if group is None:
                raise ValueError(f"{hub_id} has a split '{split}' that is none of {sorted(HUB_SPLIT_GROUPS)}")
            for i, row in enumerate(ds):
                label = names[row["label"]] if names else str(row["label"])
                audio = row["audio"]["bytes"] or row["audio"]["path"]  # stored as a path: read the file
                items.append(dict(name=f"{hub_id}[{split}][{i}]", audio=audio, label=label,
                                  speaker=str(row.get("speaker_id", row.get("speaker", ""))), take=-1,
                                  group=group))
        return items

    return fingerprint, list_items
