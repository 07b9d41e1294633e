"""Shared fixtures: a small separable text dataset written as files, and an isolated cache."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never use the network
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import csv
import random
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                  reason=f"reference data not found at {SHARED_DATA}")

KEYWORDS = {"sport": ["goal", "match", "team"], "tech": ["chip", "code", "phone"],
            "food": ["bread", "soup", "cheese"]}
FILLER = "the a of today new big small report says people".split()


def make_rows(n: int, seed: int = 0) -> list[dict]:
    """Texts whose class is given away by a keyword, padded with filler of random length."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = list(KEYWORDS)[i % len(KEYWORDS)]
        words = rng.choices(FILLER, k=rng.randint(2, 12)) + [rng.choice(KEYWORDS[label])]
        rng.shuffle(words)
        rows.append({"text": " ".join(words) + f" {i}", "label": label})
    return rows


def write_csv(path: Path, rows: list[dict], fields=("text", "label")) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own processed-data cache, so no test sees another's."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("SEQTASKS_CACHE", str(cache))
    return cache


@pytest.fixture
def text_root(tmp_path) -> Path:
    """A folder with train.csv (150 rows) and test.csv (30 rows): no validation split."""
    root = tmp_path / "toy"
    root.mkdir()
    write_csv(root / "train.csv", make_rows(150, seed=1))
    write_csv(root / "test.csv", make_rows(30, seed=2))
    return root


def tiny_config(root: Path, run_dir: Path, *overrides: str):
    """The real Hydra config shrunk to seconds: toy CSVs, 1 epoch, 8 hidden units."""
    from seqtasks.config.compose import load_config

    return load_config([
        "data=files", f"data.root={root}", "trainer=cpu", "trainer.max_epochs=1", "data.batch_size=16",
        "encoder.hidden_size=8", "task.embedding_dim=8", f"output_dir={run_dir}",
        f"data.cache_dir={run_dir}_cache",  # session-scoped runs do not see the autouse cache fixture
        *overrides])


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """One finished LSTM run (1 epoch on 60 + 24 toy rows), shared by the report tests."""
    from seqtasks.training.train import train

    root = tmp_path_factory.mktemp("tiny")
    write_csv(root / "train.csv", make_rows(60, seed=1))
    write_csv(root / "test.csv", make_rows(24, seed=2))
    train(tiny_config(root, root / "run"), command="python scripts/train.py data=files (tiny)")
    return root / "run"


@pytest.fixture(scope="session")
def tiny_report(tiny_run) -> Path:
    """The evaluation report of `tiny_run` (report/report.html)."""
    from seqtasks.reports import evaluate

    return evaluate(run=tiny_run, resamples=200)


def run_script(monkeypatch, script: str, *args: str) -> None:
    """Runs scripts/<script> as `python scripts/<script> args...`, in this process (no start-up)."""
    import runpy
    import sys

    monkeypatch.setattr(sys, "argv", [script, *args])
    runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts" / script), run_name="__main__")


def script_error(monkeypatch, script: str, *args: str) -> str:
    """The message scripts/<script> exits with, given `args`."""
    with pytest.raises(SystemExit) as info:
        run_script(monkeypatch, script, *args)
    return str(info.value.code)


def write_tone(path: Path, digit: int, rate: int = 8000, seconds: float = 0.3, seed: int = 0,
               channels: int = 1) -> Path:
    """A stand-in for a spoken digit: two tones whose pitches give the digit away, plus a little noise."""
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.4 * np.sin(2 * np.pi * (300 + 150 * digit) * t)\
        + 0.2 * np.sin(2 * np.pi * 1800 / (1 + digit) * t)
    wave = (wave + 0.02 * rng.standard_normal(len(t))).astype("float32")
    sf.write(path, np.stack([wave] * channels, 1) if channels > 1 else wave, rate, subtype="PCM_16")
    return path


def write_tone_digits(root: Path, digits=(0, 1, 2), speakers=("alice", "bob", "carol"),
                      takes: int = 12) -> Path:
    """A folder in the FSDD layout, {digit}_{speaker}_{index}.wav: take 0-4 test, 5-9 validation."""
    root.mkdir(parents=True, exist_ok=True)
    for d in digits:
        for s, speaker in enumerate(speakers):
            for take in range(takes):
                write_tone(root / f"{d}_{speaker}_{take}.wav", d, seed=100 * d + 10 * s + take)
    return root


@pytest.fixture
def tone_root(tmp_path) -> Path:
    """3 digits x 3 speakers x 12 takes of tone 'speech' in the FSDD layout (108 files)."""
    return write_tone_digits(tmp_path / "tones")
