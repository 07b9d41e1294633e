"""Training-only augmentation of spoken audio, from torchaudio's transforms: speed perturbation,
a random time shift and additive noise at a chosen SNR on the waveform; SpecAugment-style
frequency and time masks on the feature frames."""

from __future__ import annotations

import torch
import torchaudio
from torch import nn

AUGMENT_KEYS = ("speed", "shift_ms", "noise_snr_db", "freq_mask", "time_mask", "masks")


class WaveAugment(nn.Module):
    """Waveform (samples,) -> a changed copy: speed x one of `speed` (pitch and tempo together),
    `shift_ms` of silence split at random between the two ends (a random time shift; the clip
    grows by `shift_ms`), white noise at an SNR drawn from
    `noise_snr_db` = [low, high] dB."""

    def __init__(self, sample_rate: int, speed: list[float] = (), shift_ms: float = 0.0,
                 noise_snr_db: list[float] | None = None):
        super().__init__()
        self.speed = torchaudio.transforms.SpeedPerturbation(sample_rate, list(speed)) if speed else None
        self.shift = int(sample_rate * shift_ms / 1000)
        self.snr = list(noise_snr_db) if noise_snr_db is not None else None

    @property
    def active(self) -> bool:
        return self.speed is not None or self.shift > 0 or self.snr is not None

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if self.speed is not None:
            waveform = self.speed(waveform)[0]
        if self.shift > 0:
            before = int(torch.randint(0, self.shift + 1, ()))
            after = self.shift - before
            waveform = torch.cat([waveform.new_zeros(before), waveform, waveform.new_zeros(after)])
        if self.snr is not None:
            low, high = self.snr
            snr = torch.empty(1).uniform_(low, high)
            noise = torch.randn_like(waveform)
            waveform = torchaudio.functional.add_noise(waveform[None], noise[None], snr)[0]
        return waveform


class SpecAugment(nn.Module):
    """Frames (T, F) -> `masks` frequency bands of up to `freq_mask` bins and `masks` time spans of
    up to `time_mask` frames set to zero, the training mean once features are normalized
    (Park et al. 2019)."""

    def __init__(self, freq_mask: int = 0, time_mask: int = 0, masks: int = 2):
        super().__init__()
        self.masks = masks
        self.freq = torchaudio.transforms.FrequencyMasking(freq_mask) if freq_mask > 0 else None
        self.time = torchaudio.transforms.TimeMasking(time_mask) if time_mask > 0 else None

    @property
    def active(self) -> bool:
        return self.masks > 0 and (self.freq is not None or self.time is not None)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        spec = frames.T  # -> (F, T), the layout torchaudio's masks expect
        for _ in range(self.masks):
            for mask in (self.freq, self.time):
                if mask is not None:
                    spec = mask(spec)
        return spec.T


def build_augmentation(augment: dict | None, sample_rate: int) -> tuple[WaveAugment, SpecAugment]:
    """The two augmenters from the `data.augment` block; unknown keys and bad values are refused."""
    augment = dict(augment or {})
    unknown = sorted(set(augment) - set(AUGMENT_KEYS))
    if unknown:
        raise ValueError(f"data.augment has unknown key(s) {unknown}; allowed: {list(AUGMENT_KEYS)}")
    speed = list(augment.get("speed") or [])
    if any(not 0.5 <= s <= 2.0 for s in speed):
        raise ValueError(f"data.augment.speed={speed} must be factors in [0.5, 2.0]")
    snr = augment.get("noise_snr_db")
    if snr is not None:
        snr = [float(snr)] * 2 if isinstance(snr, int | float) else list(snr)
        if len(snr) != 2 or snr[0] > snr[1]:
            raise ValueError(f"data.augment.noise_snr_db={snr} must be one number or [low, high]")
    for key in ("shift_ms", "freq_mask", "time_mask", "masks"):
        if augment.get(key, 0) < 0:
            raise ValueError(f"data.augment.{key}={augment[key]} must be >= 0")
    wave = WaveAugment(sample_rate, speed, augment.get("shift_ms", 0.0), snr)
    spec = SpecAugment(augment.get("freq_mask", 0), augment.get("time_mask", 0), augment.get("masks", 2))
    return wave, spec
