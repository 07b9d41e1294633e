"""A finished run loaded back for evaluation: its config, metrics and run info, the model from the
checkpoint alone, and the datamodule rebuilt from the stored config (optionally on other data)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytorch_lightning as pl
from hydra.utils import get_class
from omegaconf import OmegaConf

from seqtasks.config.safety import build_stored, read_seqtasks_checkpoint


@dataclass
class LoadedRun:
    ckpt_path: Path
    config: dict  # the resolved training config stored in the checkpoint
    model: pl.LightningModule
    datamodule: pl.LightningDataModule | None = None
    run_dir: Path | None = None  # None when a checkpoint lies outside a run directory
    metrics: dict = field(default_factory=dict)  # the run's metrics.json
    info: dict = field(default_factory=dict)  # run_info.json: command, versions, hardware
    data_overrides: dict = field(default_factory=dict)
    ckpt_epoch: int = -1

    @property
    def task_name(self) -> str:
        return type(self.model).__name__


def resolve_paths(run: str | Path | None = None, ckpt: str | Path | None = None):
    """(run_dir or None, checkpoint path) from `run=RUN_DIR` (its best.ckpt) or `ckpt=PATH`."""
    if (run is None) == (ckpt is None):
        raise ValueError("give exactly one of run=RUN_DIR or ckpt=PATH")
    if ckpt is not None:
        ckpt = Path(ckpt)
        if not ckpt.is_file():
            raise FileNotFoundError(f"ckpt={ckpt} does not exist")
        parent = ckpt.parent.parent if ckpt.parent.name == "checkpoints" else None
        return (parent if parent and (parent / "config.yaml").is_file() else None), ckpt
    run_dir = Path(run)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run={run_dir} is not a directory")
    for name in ("metrics.json", "checkpoints/best.ckpt"):
        if not (run_dir / name).is_file():
            raise FileNotFoundError(f"run={run_dir} has no {name} (unfinished or not a run directory)")
    return run_dir, run_dir / "checkpoints" / "best.ckpt"


read_checkpoint = read_seqtasks_checkpoint  # plain data, a checked config: see seqtasks.config.safety


def model_from_checkpoint(ckpt: dict) -> pl.LightningModule:
    """The task module built from the stored config and hyperparameters, weights loaded, in eval
    mode; no data is read."""
    cfg = ckpt["seqtasks_config"]
    task_class = get_class(cfg["task"]["_target_"])
    encoder = build_stored(cfg["encoder"], "seqtasks_config.encoder")
    removed = getattr(task_class, "removed_options", ())  # older checkpoints may still hold them
    modules = getattr(task_class, "removed_modules", ())
    model = task_class(encoder=encoder, **{k: v for k, v in ckpt.get("hyper_parameters", {}).items()
                                           if k not in removed})
    model.load_state_dict({k: v for k, v in ckpt["state_dict"].items() if not k.startswith(modules)})
    return model.eval()


def datamodule_from_checkpoint(ckpt: dict, overrides: dict | None = None,
                               setup: bool = True) -> pl.LightningDataModule:
    """The datamodule of the stored config with `overrides` (keys of the `data` config), holding
    the checkpoint's state (tokenizer, label names), so inputs map to the ids the model knows."""
    data_cfg = OmegaConf.create(ckpt["seqtasks_config"]["data"])
    options = sorted(k for k in data_cfg if k != "_target_")
    unknown = sorted(set(overrides or {}) - set(options))
    if unknown:
        raise ValueError(f"unknown data option(s) {unknown}; options: {', '.join(options)}")
    datamodule = build_stored(OmegaConf.merge(data_cfg, overrides or {}), "data")
    if setup:
        datamodule.prepare_data()
        datamodule.setup("test")
    state = ckpt.get(type(datamodule).__qualname__)
    if state:
        datamodule.load_state_dict(state)
    return datamodule


def read_json(path: Path) -> dict:
    """A run's JSON file ({} when absent); a truncated or broken one is a one-line error naming it."""
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e.msg} at line {e.lineno}); was the run cut "
                         "short while writing it?") from None


def load_run(run=None, ckpt=None, data_overrides: dict | None = None, with_data: bool = True) -> LoadedRun:
    """Everything a report needs from `run=RUN_DIR` or `ckpt=PATH`."""
    run_dir, ckpt_path = resolve_paths(run, ckpt)
    ckpt_dict = read_checkpoint(ckpt_path)
    loaded = LoadedRun(ckpt_path=ckpt_path, config=ckpt_dict["seqtasks_config"],
                       model=model_from_checkpoint(ckpt_dict), run_dir=run_dir,
                       data_overrides=dict(data_overrides or {}), ckpt_epoch=int(ckpt_dict.get("epoch", -1)))
    if run_dir is not None:
        loaded.metrics = read_json(run_dir / "metrics.json")
        loaded.info = read_json(run_dir / "run_info.json")
    if with_data:
        loaded.datamodule = datamodule_from_checkpoint(ckpt_dict, data_overrides)
    return loaded


def read_epoch_metrics(metrics_csv: Path) -> dict[int, dict[str, float]]:
    """metrics.csv (Lightning's CSVLogger, one row per log call) -> {epoch: {name: value}}.
    What train logs after fitting (validate and test of the best checkpoint, at an epoch past the
    last trained one) is left out."""
    per_epoch: dict[int, dict[str, float]] = {}
    if not metrics_csv.is_file():
        return per_epoch
    with open(metrics_csv, newline="") as f:
        for row in csv.DictReader(f):
            if not row.get("epoch"):
                continue
            values = per_epoch.setdefault(int(float(row["epoch"])), {})
            for name, value in row.items():
                if value and name not in ("epoch", "step") and not name.startswith("test/") \
                        and not name.endswith("_step"):  # per-batch values: not an epoch's
                    values[name] = float(value)
    trained = [e for e, values in per_epoch.items() if any(k.startswith("train/") for k in values)]
    last = max(trained, default=max(per_epoch, default=0))
    return {epoch: values for epoch, values in sorted(per_epoch.items()) if values and epoch <= last}


def run_labels(run_dirs: list[Path]) -> list[str]:
    """A distinct label per run directory: its name, or as many trailing path parts as it takes to
    tell the runs apart (`sst2_lstm/seed0` beside `sst2_mingru/seed0`), so no two runs' rows merge."""
    if len({Path(p).resolve() for p in run_dirs}) < len(run_dirs):
        raise ValueError(f"a run directory is given twice: {[str(p) for p in run_dirs]}")
    paths = [Path(p).absolute().parts[1:] for p in run_dirs]  # as typed (links kept), root dropped
    for depth in range(1, max(map(len, paths)) + 1):
        labels = ["/".join(parts[-depth:]) for parts in paths]
        if len(set(labels)) == len(labels):
            return labels
    raise AssertionError("distinct resolved paths always have distinct full paths")
