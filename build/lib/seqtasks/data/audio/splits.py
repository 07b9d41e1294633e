"""Which audio item goes to train, validation or test. In order of precedence:

- `test_speakers` named: a speaker-independent split; those speakers are the test set, validation
  is `val_speakers` if named, else the `val_indices` takes of the other speakers;
- the source's own split (`group`: the synthesized corpus's held-out voices, a hub's splits);
- FSDD's official rule for FSDD-named files: index 0-4 test, `val_indices` validation (carved
  from training, never from test), the rest train;
- otherwise a seeded split stratified by label (`val_fraction`, `test_fraction`).
A split the rule leaves empty is carved from train the same stratified way."""

from __future__ import annotations

import numpy as np

SPLIT_NAMES = ("train", "validation", "test")
FSDD_TEST_TAKES = 5  # FSDD's own rule: index 0-4 of every digit and speaker is the test set


def assign_splits(labels: list[str], speakers: list[str], takes: list[int], groups: list[str],
                  test_speakers: list[str] | None = None, val_speakers: list[str] | None = None,
                  val_indices: tuple[int, int] = (5, 9), val_fraction: float = 0.1,
                  test_fraction: float = 0.1, seed: int = 0) -> np.ndarray:
    """One split name per item (arrays of equal length in, array of "train"/"validation"/"test" out)."""
    speakers_arr, takes_arr = np.asarray(speakers), np.asarray(takes)
    in_val_takes = (takes_arr >= val_indices[0]) & (takes_arr <= val_indices[1])
    split = np.full(len(labels), "train", dtype=object)
    if test_speakers:
        _check_speakers(set(speakers), list(test_speakers) + list(val_speakers or []))
        test = np.isin(speakers_arr, list(test_speakers))
        val = np.isin(speakers_arr, list(val_speakers)) if val_speakers else in_val_takes
        split[val & ~test] = "validation"
        split[test] = "test"
    elif val_speakers:
        raise ValueError("data.val_speakers needs data.test_speakers (a speaker-independent split)")
    elif has_own_split(takes, groups) and all(groups):
        split[:] = groups
    elif has_own_split(takes, groups):
        split[in_val_takes] = "validation"
        split[takes_arr < FSDD_TEST_TAKES] = "test"
    else:
        split[:] = "train"
    rng = np.random.default_rng(seed)
    for name, fraction in (("test", test_fraction), ("validation", val_fraction)):
        if not (split == name).any():
            split[_stratified_pick(np.asarray(labels), split == "train", fraction, rng)] = name
    return split


def has_own_split(takes: list[int], groups: list[str]) -> bool:
    """Whether a source says itself which item is test: its own groups (synthesized voices, a
    hub's splits) or FSDD's take numbers. Otherwise a split would be drawn at random."""
    return all(groups) or bool((np.asarray(takes) >= 0).all())


def _check_speakers(known: set[str], named: list[str]) -> None:
    if known == {""}:
        raise ValueError("data.test_speakers needs speaker names in the file names "
                         "({digit}_{speaker}_{index}.wav); this source has none")
    unknown = sorted(set(named) - known)
    if unknown:
        raise ValueError(f"data.test_speakers/val_speakers name unknown speaker(s) {unknown}; "
                         f"speakers: {sorted(known)}")


def _stratified_pick(labels: np.ndarray, pool: np.ndarray, fraction: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Indices of about `fraction` of the pool's items of each label (at least one per label that
    has two or more)."""
    picked = []
    for label in sorted(set(labels[pool])):
        members = np.flatnonzero(pool & (labels == label))
        count = min(len(members) - 1, max(1, round(len(members) * fraction)))
        picked.extend(rng.permutation(members)[:count])
    return np.asarray(picked, dtype=int)
