"""Test recordings of digit strings, seeded: clips of chosen speakers (FSDD's layout,
`{digit}_{speaker}_{take}.wav`) joined with random pauses and gains, optionally under white noise
at a chosen SNR; `manifest.json` holds each recording's true string and where each digit lies."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from seqtasks.data.audio.features import AUDIO_SUFFIXES, decode_audio
from seqtasks.data.cache import built_atomically
from seqtasks.values import check_positive_int


def speaker_clips(root, speakers: list[str] | None = None,
                  group: str | None = None) -> list[tuple[str, str, str]]:
    """(path, digit, speaker) of every clip in `root` whose speaker is in `speakers` (all when
    None), or whose voice the corpus' manifest.json puts in `group` (synthesized: 'test' voices)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"root={root} is not a folder of clips")
    if group is not None:
        manifest = root / "manifest.json"
        if not manifest.is_file():
            raise ValueError(f"group={group}: {root} has no manifest.json naming voice groups")
        speakers = [v["id"] for v in json.loads(manifest.read_text())["voices"] if v["group"] == group]
    clips = []
    for path in sorted(p for p in root.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES):
        digit, _, rest = path.stem.partition("_")
        speaker = rest.rpartition("_")[0]
        if digit.isdigit() and len(digit) == 1 and (speakers is None or speaker in speakers):
            clips.append((str(path), digit, speaker))
    if not clips:
        raise ValueError(f"root={root} holds no clips named digit_speaker_take.wav of speakers {speakers}")
    return clips


def compose(clips: list[torch.Tensor], sample_rate: int, rng: np.random.Generator,
            pause_ms=(100, 600), gain_db=(-6.0, 6.0), snr_db: float | None = None):
    """Waveforms (samples,) -> one recording with a random pause before, between and after them and
    a random gain on each, plus white noise `snr_db` under the clips' mean power; and each clip's
    (start, end) in seconds."""
    pieces, spans, at = [], [], 0
    for clip in clips:
        pause = np.zeros(int(rng.uniform(*pause_ms) * sample_rate / 1000), dtype=np.float32)
        gained = clip.numpy() * np.float32(10 ** (rng.uniform(*gain_db) / 20))
        pieces += [pause, gained]
        at += len(pause)
        spans.append((at / sample_rate, (at + len(gained)) / sample_rate))
        at += len(gained)
    pieces.append(np.zeros(int(rng.uniform(*pause_ms) * sample_rate / 1000), dtype=np.float32))
    audio = np.concatenate(pieces)
    if snr_db is not None:
        speech_power = np.mean(np.concatenate([p for p in pieces[1::2]]) ** 2)
        noise = rng.standard_normal(len(audio)).astype(np.float32)
        audio = audio + noise * np.float32(np.sqrt(speech_power / 10 ** (snr_db / 10)))
    peak = float(np.abs(audio).max())
    return (audio / peak * 0.9 if peak > 0.9 else audio), spans  # no clipping in the 16-bit file


def make_recordings(clips: list[tuple[str, str, str]], out, count: int = 20, digits=(3, 10),
                    pause_ms=(100, 600), gain_db=(-6.0, 6.0), snr_db: float | None = None,
                    sample_rate: int = 8000, seed: int = 0) -> Path:
    """`count` recordings of `digits` [min, max] clips each of one speaker, drawn from `clips` (path,
    digit, speaker) with `seed`, written as out/rec{i:04d}.wav (16-bit PCM) and out/manifest.json;
    returns the manifest's path."""
    check_positive_int("count", count)
    if not 1 <= digits[0] <= digits[1]:
        raise ValueError(f"digits={list(digits)} must be [min, max] with 1 <= min <= max")
    out = Path(out)
    if out.is_dir() and any(not p.name.startswith(("rec", "manifest.json")) for p in out.iterdir()):
        raise ValueError(f"out={out} holds files other than recordings; give a new or a recordings folder")
    rng = np.random.default_rng(seed)
    waveforms = {path: decode_audio(path, sample_rate, trim_db=None).waveform for path, _, _ in clips}
    by_speaker: dict[str, list[tuple[str, str]]] = {}
    for path, digit, speaker in clips:
        by_speaker.setdefault(speaker, []).append((path, digit))
    speakers, entries = sorted(by_speaker), []
    with built_atomically(out) as folder:
        for i in range(count):
            speaker = speakers[int(rng.integers(len(speakers)))]
            pool = by_speaker[speaker]
            length = int(rng.integers(digits[0], digits[1] + 1))
            chosen = [pool[j] for j in rng.integers(len(pool), size=length)]
            audio, spans = compose([waveforms[p] for p, _ in chosen], sample_rate, rng, pause_ms, gain_db,
                                   snr_db)
            sf.write(folder / f"rec{i:04d}.wav", audio, sample_rate, subtype="PCM_16")
            segments = [{"digit": d, "start": round(s, 3), "end": round(e, 3), "clip": Path(p).name}
                        for (p, d), (s, e) in zip(chosen, spans, strict=True)]
            entries.append({"file": f"rec{i:04d}.wav", "speaker": speaker,
                            "digits": "".join(d for _, d in chosen), "segments": segments})
        settings = dict(count=count, digits=list(digits), pause_ms=list(pause_ms), gain_db=list(gain_db),
                        snr_db=snr_db, sample_rate=sample_rate, seed=seed)
        (folder / "manifest.json").write_text(json.dumps({"settings": settings, "recordings": entries},
                                                         indent=1))
    return out / "manifest.json"
