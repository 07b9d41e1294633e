"""Audio in: decode with soundfile, check, downmix to mono, resample to the model's rate, trim
silence, and turn the waveform into log-mel or MFCC frames with torchaudio's transforms."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio
from torch import nn

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
FEATURE_KINDS = ("mfcc", "logmel")
MIN_SOUND_MS = 50  # shorter than this after trimming: nothing to recognize, and no whole STFT window
SILENCE_PEAK = 1e-4  # a file whose loudest sample stays below this (of full scale) is silent


class BadAudio(ValueError):
    """A file that cannot serve as training data; `reason` is one of the skip counters."""

    def __init__(self, source: str, reason: str, detail: str):
        super().__init__(f"{source}: {detail}")
        self.source, self.reason = source, reason


@dataclass
class Decoded:
    waveform: torch.Tensor  # (samples,) mono float32 at the requested rate, silence trimmed
    downmixed: bool  # the file had more than one channel
    resampled: bool  # the file's rate differed from the requested one


def wav_truncation(data: bytes) -> str | None:
    """Why a RIFF/WAVE file is cut short, or None: its data chunk declares more bytes than the
    file holds. libsndfile reads such a file without complaint, returning only what is there."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if chunk == b"data":
            held = len(data) - pos - 8
            streamed = size in (0, 0xFFFFFFFF)  # writers that never filled in the size
            return None if streamed or held >= size else f"truncated: data chunk holds {held} of {size} bytes"
        pos += 8 + size + (size & 1)
    return "truncated: no data chunk"


def decode_audio(source: str | Path | bytes, sample_rate: int, trim_db: float | None = 40.0,
                 name: str | None = None) -> Decoded:
    """A file path or encoded bytes -> mono waveform at `sample_rate`; raises BadAudio for a file
    that is unreadable, truncated, empty (or under 50 ms of sound once trimmed) or silent."""
    name = name or str(source)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    truncated = wav_truncation(data)
    if truncated:
        raise BadAudio(name, "truncated", truncated)
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)  # -> (n, channels)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise BadAudio(name, "unreadable", f"not readable audio ({str(e).split(': ', 1)[-1]})") from None
    if samples.shape[0] == 0:
        raise BadAudio(name, "empty", "holds no samples")
    if float(np.abs(samples).max()) < SILENCE_PEAK:
        raise BadAudio(name, "silent", "is silent (every sample below 1e-4 of full scale)")
    waveform = torch.from_numpy(samples.mean(axis=1))  # downmix: mean of the channels
    if rate != sample_rate:
        waveform = torchaudio.functional.resample(waveform, rate, sample_rate)
    if trim_db is not None:
        waveform = trim_silence(waveform, sample_rate, trim_db)
    if len(waveform) < sample_rate * MIN_SOUND_MS // 1000:  # a click: too short for one feature window
        raise BadAudio(name, "empty", f"holds only {1000 * len(waveform) / sample_rate:.0f} ms of sound "
                                      f"(under {MIN_SOUND_MS} ms) after trimming silence")
    return Decoded(waveform.contiguous(), samples.shape[1] > 1, rate != sample_rate)


def trim_silence(waveform: torch.Tensor, sample_rate: int, top_db: float) -> torch.Tensor:
    """Cuts leading and trailing 10 ms frames quieter than the loudest frame by more than `top_db`:
    synthesized speech carries pauses that recordings such as FSDD's do not."""
    hop = max(1, sample_rate // 100)
    frames = waveform[: len(waveform) // hop * hop].reshape(-1, hop)  # -> (n_frames, hop)
    if len(frames) == 0:
        return waveform
    rms_db = 10 * torch.log10(frames.pow(2).mean(1) + 1e-12)
    loud = torch.nonzero(rms_db > rms_db.max() - top_db).flatten()
    return waveform[int(loud[0]) * hop: (int(loud[-1]) + 1) * hop]


class FeatureFrames(nn.Module):
    """Waveform (samples,) -> frames (T, F): `mfcc` (n_mfcc coefficients) or `logmel` (n_mels log
    energies), with windows of `win_ms` every `hop_ms`."""

    def __init__(self, sample_rate: int = 8000, kind: str = "mfcc", n_mels: int = 40, n_mfcc: int = 20,
                 win_ms: float = 25.0, hop_ms: float = 10.0):
        super().__init__()
        if kind not in FEATURE_KINDS:
            raise ValueError(f"data.features='{kind}' is not one of {list(FEATURE_KINDS)}")
        if kind == "mfcc" and not 0 < n_mfcc <= n_mels:
            raise ValueError(f"data.n_mfcc={n_mfcc} must be in [1, n_mels={n_mels}]")
        win = int(sample_rate * win_ms / 1000)
        mel = dict(n_fft=max(win, 2 ** int(np.ceil(np.log2(win)))), win_length=win,
                   hop_length=int(sample_rate * hop_ms / 1000), n_mels=n_mels, f_min=20.0)
        self.kind = kind
        self.num_features = n_mfcc if kind == "mfcc" else n_mels
        self.transform = (torchaudio.transforms.MFCC(sample_rate, n_mfcc, melkwargs=mel) if kind == "mfcc"
                          else torchaudio.transforms.MelSpectrogram(sample_rate, **mel))

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        spec = self.transform(waveform)  # -> (F, T)
        if self.kind == "logmel":
            spec = torch.log(spec + 1e-6)
        return spec.T.contiguous()  # -> (T, F)
