"""`data.cv_folds=K data.cv_fold=all`: the K fold runs of one setup in one job, each in
`output_dir/fold<i>`, and their mean held-out scores as the job's result, so that a sweeper
(`hparams_search=...`, Optuna) optimizes the mean cross-validation score rather than one fold."""

from __future__ import annotations

import copy
import json
import logging
import statistics
from pathlib import Path

from omegaconf import DictConfig, open_dict

from seqtasks.training.train import train, write_atomic

log = logging.getLogger(__name__)
RESULT_FILE = "cross_validation.json"


def cross_validate(cfg: DictConfig, command: str | None = None, callbacks=()) -> dict[str, float]:
    """Trains fold 0..K-1 of `data.cv_folds=K` one after another and returns the mean of each
    fold's cv/* metrics, with cv/<name>_std (sample standard deviation) and cv/folds; writes them,
    with every fold's figures, to `output_dir/cross_validation.json`. With `resume=true` a fold
    that finished is read back, an interrupted one resumed, the rest trained."""
    folds = cfg.data.get("cv_folds")
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"data.cv_fold=all needs data.cv_folds=K with K >= 2 folds; "
                         f"got data.cv_folds={folds!r}")
    run_dir = Path(cfg.output_dir)
    per_fold = [_one_fold(cfg, i, run_dir / f"fold{i}", command, callbacks) for i in range(folds)]
    names = sorted(set.intersection(*(set(m) for m in per_fold)))
    held_out = [k for k in names if k.startswith("cv/")]
    result = {k: statistics.fmean(m[k] for m in per_fold) for k in held_out}
    result |= {f"{k}_std": statistics.stdev(m[k] for m in per_fold) for k in held_out}
    result |= {"cv/folds": folds, "train_seconds": sum(m.get("train_seconds", 0.0) for m in per_fold)}
    write_atomic(run_dir / RESULT_FILE, json.dumps({"mean": result, "folds": per_fold}, indent=2) + "\n")
    log.info("cross-validation, %d folds: %s", folds,
             {k: round(result[k], 4) for k in held_out})
    return result


def _one_fold(cfg: DictConfig, fold: int, fold_dir: Path, command, callbacks) -> dict[str, float]:
    """The metrics of one fold: read back when `resume=true` finds it finished, else trained."""
    if cfg.get("resume") and (fold_dir / "metrics.json").is_file():
        log.info("fold %d: finished in %s, read back", fold, fold_dir)
        return json.loads((fold_dir / "metrics.json").read_text())
    fold_cfg = copy.deepcopy(cfg)
    with open_dict(fold_cfg):
        fold_cfg.data.cv_fold = fold
        fold_cfg.output_dir = str(fold_dir)
        fold_cfg.resume = bool(cfg.get("resume")) and (fold_dir / "checkpoints").is_dir()
    log.info("fold %d of %d -> %s", fold, cfg.data.cv_folds, fold_dir)
    return train(fold_cfg, command=command, callbacks=callbacks)
