"""Spoken digits synthesized offline: the espeak-ng library and voices that the espeakng-loader wheel
ships, driven through ctypes (no system package). Each voice is an English accent with one of the
wheel's voice variants and its own speaking rate and pitch; every take varies them a little.

The corpus is written as `{digit}_{voice}_{take}.wav` (the FSDD layout) plus `manifest.json`,
which names each voice's group (train / validation / test: held-out voices). espeak-ng keeps state
between utterances (its pitch flutter phase), so one file depends on what was synthesized before it
in the same process: the whole corpus is synthesized in a fresh child process, in a fixed order,
which makes it the same, byte for byte, for a seed. This file imports nothing from seqtasks, so the
child runs it as a plain script and starts in a moment.
"""

from __future__ import annotations

import ctypes
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from seqtasks.data.cache import built_atomically
from seqtasks.values import check_positive_int

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ACCENTS = ("en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
           "en-us-nyc")
SYNTH_DEFAULTS = dict(voices=80, takes=4, val_voices=8, test_voices=12, rate=[120, 240],
                      pitch=[20, 80], seed=0)
SAMPLE_RATE = 22050
AUDIO_OUTPUT_SYNCHRONOUS, RATE, PITCH, RANGE = 2, 1, 3, 4  # espeak_AUDIO_OUTPUT, espeak_PARAMETER


def synth_settings(synth: dict | None) -> dict:
    """The `data.synth` block with defaults filled in, checked."""
    settings = {**SYNTH_DEFAULTS, **(synth or {})}
    settings.update({k: list(settings[k]) for k in ("rate", "pitch")})  # Hydra's ListConfig -> list
    unknown = sorted(set(settings) - set(SYNTH_DEFAULTS))
    if unknown:
        raise ValueError(f"data.synth has unknown key(s) {unknown}; allowed: {list(SYNTH_DEFAULTS)}")
    for key in ("voices", "takes"):
        check_positive_int(f"data.synth.{key}", settings[key])
    if settings["val_voices"] + settings["test_voices"] >= settings["voices"]:
        raise ValueError(f"data.synth: val_voices + test_voices ({settings['val_voices']} + "
                         f"{settings['test_voices']}) must leave training voices of "
                         f"voices={settings['voices']}")
    for key, (low, high) in (("rate", (80, 450)), ("pitch", (0, 99))):
        lo, hi = settings[key]
        if not low <= lo <= hi <= high:
            raise ValueError(f"data.synth.{key}={settings[key]} must be [low, high] within [{low}, {high}]")
    return settings


def espeak_data_path() -> str:
    import espeakng_loader

    return espeakng_loader.get_data_path()


def voice_variants() -> list[str]:
    """The voice variants the wheel ships (files of espeak-ng-data/voices/!v), sorted."""
    return sorted(p.name for p in (Path(espeak_data_path()) / "voices" / "!v").iterdir() if p.is_file())


def plan_corpus(settings: dict) -> dict:
    """Which voices speak which takes with which rate and pitch: a pure function of the settings."""
    rng = np.random.default_rng(settings["seed"])
    catalogue = [(accent, variant) for accent in ACCENTS for variant in voice_variants()]
    if settings["voices"] > len(catalogue):
        raise ValueError(f"data.synth.voices={settings['voices']}: the wheel has {len(catalogue)} voices")
    chosen = rng.choice(len(catalogue), settings["voices"], replace=False)
    n_test, n_val = settings["test_voices"], settings["val_voices"]
    voices, utterances = [], []
    for i, index in enumerate(chosen):
        accent, variant = catalogue[index]
        group = "test" if i < n_test else "validation" if i < n_test + n_val else "train"
        voice = dict(id=re.sub(r"[^a-z0-9]+", "-", f"{accent}-{variant}".lower()), accent=accent,
                     variant=variant, group=group, rate=int(rng.integers(*settings["rate"], endpoint=True)),
                     pitch=int(rng.integers(*settings["pitch"], endpoint=True)),
                     range=int(rng.integers(20, 90, endpoint=True)))
        voices.append(voice)
        for digit in range(10):
            for take in range(settings["takes"]):
                utterances.append(dict(
                    file=f"{digit}_{voice['id']}_{take}.wav", text=DIGIT_WORDS[digit],
                    voice=f"{accent}+{variant}", seed=int(rng.integers(2**31)),
                    rate=int(np.clip(voice["rate"] * rng.uniform(0.85, 1.15), 80, 450)),
                    pitch=int(np.clip(voice["pitch"] + rng.integers(-8, 9), 0, 99)),
                    range=int(np.clip(voice["range"] + rng.integers(-10, 11), 0, 99))))
    return dict(settings=settings, sample_rate=SAMPLE_RATE, voices=voices, utterances=utterances)


class Espeak:
    """The espeak-ng library of the espeakng-loader wheel, synthesizing into memory."""

    def __init__(self):
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.chunks: list[np.ndarray] = []
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                         ctypes.c_void_p)
        self._callback = callback_type(self._collect)  # kept alive as long as the library holds it
        rate = self.lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, espeak_data_path().encode(), 0)
        assert rate == SAMPLE_RATE, rate
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, n: int, events) -> int:
        if n > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0  # 0: go on

    def speak(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int, seed: int) -> np.ndarray:
        """int16 samples at 22.05 kHz."""
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice '{voice}'")
        for parameter, value in ((RATE, rate), (PITCH, pitch), (RANGE, pitch_range)):
            self.lib.espeak_SetParameter(parameter, value, 0)
        self.lib.espeak_ng_SetRandSeed(seed)
        self.chunks.clear()
        data = text.encode()
        status = self.lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, 0, None, None)
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed with status {status} on '{text}' ({voice})")
        self.lib.espeak_Synchronize()
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)


def write_corpus(plan: dict, out: Path) -> None:
    """Synthesizes every planned utterance into `out` (in this process: run it in a fresh one)."""
    import soundfile as sf

    out.mkdir(parents=True, exist_ok=True)
    espeak = Espeak()
    for u in plan["utterances"]:
        samples = espeak.speak(u["text"], u["voice"], u["rate"], u["pitch"], u["range"], u["seed"])
        sf.write(out / u["file"], samples, plan["sample_rate"], subtype="PCM_16")
    (out / "manifest.json").write_text(json.dumps(plan, indent=1))


def synthesize_digits(out: Path, synth: dict | None = None) -> Path:
    """The corpus of `synth` settings in folder `out`, synthesized there once (in a child process,
    written to a temporary folder and renamed, so a crash leaves no half corpus)."""
    out = Path(out)
    if (out / "manifest.json").is_file():
        return out
    plan = plan_corpus(synth_settings(synth))
    with built_atomically(out) as tmp:
        (tmp / "plan.json").write_text(json.dumps(plan))
        subprocess.run([sys.executable, "-P", __file__, str(tmp)], check=True)
        (tmp / "plan.json").unlink()
    return out


if __name__ == "__main__":  # the child process of synthesize_digits
    folder = Path(sys.argv[1])
    write_corpus(json.loads((folder / "plan.json").read_text()), folder)
