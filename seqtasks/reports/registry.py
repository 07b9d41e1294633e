"""The plug-in point between the report core and the tasks: each task registers a `TaskReport`
(how to turn its model outputs into arrays, its test metrics, its report sections, its prediction
records) under its LightningModule class name; a new task adds a module to
`seqtasks/reports/tasks/` and never touches the core.

The core also gives every task the same test outputs: Lightning's predict loop over the test
dataloader, with the progress bar when someone watches."""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytorch_lightning as pl
import torch
from lightning_fabric.utilities.apply_func import move_data_to_device
from pytorch_lightning.callbacks import Callback
from torch.utils.data import DataLoader

from seqtasks.reports.document import Section
from seqtasks.reports.runs import LoadedRun
from seqtasks.runtime.environment import progress_bar_wanted

Outputs = dict[str, np.ndarray]  # name -> array with one row per test example


@dataclass
class EvalContext:
    """What a report section sees: the run, the test outputs and where each row came from."""

    run: LoadedRun
    outputs: Outputs
    rows: list[int]  # dataset index (in the test split) of each output row
    loader: DataLoader | None = None  # the test loader, for sections that run the model again
    split: str = "test"

    def batch(self, rows: list[int]):
        """One collated batch of the given dataset rows, as the loader would make it."""
        return self.loader.collate_fn([self.loader.dataset[i] for i in rows])


@dataclass
class TaskReport:
    """What one task adds to evaluation, comparison and prediction.

    collect: (predict_step outputs per batch, the batches, the model) -> Outputs.
    metrics: Outputs -> {name: fn(row indices [n]) -> float}, e.g. {"acc": ...}; the core reports
        them as `test/<name>` with bootstrap confidence intervals.
    sections: EvalContext -> Section (or None where it does not apply), after the core's header,
        learning curves and test metrics.
    compare_sections: [(group label, [EvalContext per run])] -> Section, for compare.
    records: (Outputs, inputs, model) -> one JSON-able dict per input, for predict.
    overlapping_rows: test rows share inputs (sliding forecast windows), so intervals that take
        them as independent are too narrow; the report says so.
    """

    collect: Callable[[list, list, pl.LightningModule], Outputs]
    metrics: Callable[[Outputs], dict[str, Callable[[np.ndarray], float]]]
    sections: Sequence[Callable[[EvalContext], Section]] = ()
    compare_sections: Sequence[Callable[[list[tuple[str, list[EvalContext]]]], Section]] = ()
    records: Callable[[Outputs, list, pl.LightningModule], list[dict]] | None = None
    overlapping_rows: bool = False


TASK_REPORTS: dict[str, TaskReport] = {}


def register_task_report(*class_names: str) -> Callable[[TaskReport], TaskReport]:
    """`register_task_report("Forecaster")(TaskReport(...))`: the report of every model whose class
    (or a base class) has one of these names."""
    def register(report: TaskReport) -> TaskReport:
        for name in class_names:
            TASK_REPORTS[name] = report
        return report
    return register


def task_report_for(model_class: type | str) -> TaskReport:
    """The report of a task class (through its bases) or of a task class's name."""
    import seqtasks.reports.tasks as plugins  # every module in it registers itself on import

    for module in pkgutil.iter_modules(plugins.__path__):
        importlib.import_module(f"{plugins.__name__}.{module.name}")
    names = [model_class] if isinstance(model_class, str) else [c.__name__ for c in model_class.__mro__]
    for name in names:
        if name in TASK_REPORTS:
            return TASK_REPORTS[name]
    raise ValueError(f"no report registered for task {names[0]}; registered: "
                     f"{', '.join(sorted(TASK_REPORTS))} (add one in seqtasks/reports/tasks/)")


class _KeepBatches(Callback):
    def __init__(self):
        self.batches = []

    def on_predict_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        self.batches.append(move_data_to_device(batch, "cpu"))


def predict_batches(model: pl.LightningModule, loader: DataLoader) -> tuple[list, list]:
    """Lightning's predict loop (GPU when present) -> (predict_step outputs, batches), on CPU."""
    keep = _KeepBatches()
    trainer = pl.Trainer(accelerator="auto", devices=1, logger=False, enable_checkpointing=False,
                         enable_model_summary=False, enable_progress_bar=progress_bar_wanted(),
                         callbacks=[keep])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*custom batch sampler.*for prediction.*")
        outputs = trainer.predict(model, dataloaders=loader)
    model.cpu()
    return [move_data_to_device(o, "cpu") for o in outputs], keep.batches


def recurrent_encoder(model: torch.nn.Module) -> torch.nn.Module | None:
    """The model's recurrent encoder: its `.encoder`, or the first encoder module inside it (the
    forecaster keeps one in `.net`); None for models without one (DLinear, repeat-last)."""
    from seqtasks.encoders.base import SequenceEncoder

    found = getattr(model, "encoder", None)
    return found or next((m for m in model.modules() if isinstance(m, SequenceEncoder)), None)


def loader_rows(loader: DataLoader) -> list[int]:
    """The dataset index of each row a (non-shuffled) loader yields, in order."""
    return [int(i) for batch in loader.batch_sampler for i in batch]


def collect_test(run: LoadedRun, report: TaskReport) -> EvalContext:
    """The task's outputs on the whole test split, in the order of the test loader."""
    loader = run.datamodule.test_dataloader()
    outputs, batches = predict_batches(run.model, loader)
    return EvalContext(run=run, outputs=report.collect(outputs, batches, run.model), rows=loader_rows(loader),
                       loader=loader)
