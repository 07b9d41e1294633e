"""Interruption and resume. SIGINT (Ctrl+C) or SIGTERM stops training at the end of the batch in
progress, on every process, and saves `checkpoints/interrupted.ckpt`; `resume=true` continues the
run from it (or from `last.ckpt`) in the same output_dir. The checkpoint carries the loop progress
and the sampler's place in the epoch (`seqtasks.data.batching.SamplerPosition`), and every batch's
random draws are seeded from its place in training, so a resumed run repeats the uninterrupted one
exactly."""

from __future__ import annotations

import csv
import logging
import os
import shutil
import signal
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf
from pytorch_lightning.callbacks import Callback, ModelCheckpoint
from pytorch_lightning.utilities.exceptions import SIGTERMException

from seqtasks.config.compose import flatten
from seqtasks.config.safety import check_plain, load_checkpoint

log = logging.getLogger(__name__)


class TrainingInterrupted(Exception):
    """Training stopped on a signal; `checkpoint` holds the run to resume."""

    def __init__(self, checkpoint: Path, signum: int | None):
        self.checkpoint, self.signum = checkpoint, signum or signal.SIGTERM
        name = signal.Signals(self.signum).name
        super().__init__(f"interrupted by {name}: saved {checkpoint}; continue with the same command "
                         f"plus resume=true output_dir={checkpoint.parent.parent}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention for a process ended by a signal


class InterruptCheckpoint(Callback):
    """Routes SIGINT through Lightning's SIGTERM handling, which stops every process at the end of
    the same batch, then saves `interrupted.ckpt` there (as Lightning's `OnExceptionCheckpoint`,
    but for signals only: other exceptions can strike mid-step). A fit that finishes removes the
    file. A second signal stops at once, without a checkpoint."""

    def __init__(self, dirpath: Path):
        self.ckpt_path = Path(dirpath) / "interrupted.ckpt"
        self.signum: int | None = None
        self.sigint_before = None

    def on_train_start(self, trainer, pl_module) -> None:
        lightning_handler = signal.getsignal(signal.SIGTERM)  # registered by now; restored after fit
        self.sigint_before = signal.getsignal(signal.SIGINT)  # Lightning does not restore this one

        def handler(signum, frame):
            if self.signum is not None:
                raise KeyboardInterrupt
            self.signum = signum
            lightning_handler(signum, frame)

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        if trainer.is_global_zero:
            log.info("training: Ctrl+C or SIGTERM stops after this batch and saves %s", self.ckpt_path)

    def _restore_sigint(self) -> None:
        if self.sigint_before is not None:  # Ctrl+C acts as before the fit (notebooks, multirun)
            signal.signal(signal.SIGINT, self.sigint_before)
            self.sigint_before = None

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        self._restore_sigint()
        if isinstance(exception, SIGTERMException):  # raised between batches: a consistent state
            trainer.save_checkpoint(self.ckpt_path, weights_only=False)  # the full training state

    def on_fit_end(self, trainer, pl_module) -> None:
        self._restore_sigint()
        trainer.strategy.remove_checkpoint(self.ckpt_path)


class BatchSeeds(Callback):
    """Seeds torch at every training batch from (seed, epoch, batch index, rank): a batch's random
    draws (dropout) depend on its place in training alone, so a resumed run draws what the
    uninterrupted one drew, with no generator state in the checkpoint."""

    def __init__(self, seed: int):
        self.seed = seed

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx: int) -> None:
        entropy = (self.seed, trainer.current_epoch, batch_idx, trainer.global_rank)
        seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
        torch.default_generator.manual_seed(seed)
        if torch.cuda.is_initialized():  # torch.manual_seed would queue a lazy CUDA call, traceback
            torch.cuda.manual_seed_all(seed)  # and all, at every batch of a CPU run (~1.5 ms each)
        if torch.backends.mps.is_available():
            torch.mps.manual_seed(seed)


# What does not change the model or the data: where the run lives (so a moved or copied run directory
# resumes), how it is watched, how long it trains and on what devices.
FREE_ON_RESUME = ("output_dir", "overwrite", "logger", "callbacks", "data.cache_dir", "data.num_workers",
                  "trainer.max_epochs", "trainer.devices", "trainer.num_nodes", "trainer.accelerator",
                  "trainer.strategy", "trainer.enable_progress_bar", "trainer.enable_model_summary",
                  "trainer.log_every_n_steps")
PER_PROCESS_KEYS = ("trainer.devices", "trainer.num_nodes")  # the sampler's place counts per process
# what a run writes into its directory (overwrite=true removes these, never anything else)
RUN_FILES = ("metrics.json", "metrics.csv", "config.yaml", "run_info.json", "gradient_norms.csv",
             "labels.json", "tokenizer.json", "normalization.json", "scaling.json", "hparams.yaml",
             "checkpoints", "tensorboard", "report", "report-*")


class RelocatableCheckpoint(ModelCheckpoint):
    """`ModelCheckpoint` whose state survives a moved run directory: paths saved under the old
    checkpoint folder are read as the same files under the new one. (Lightning keeps only
    `best_model_path` when the folder changed, so a resumed copy forgot its best score and chose
    its best checkpoint among the resumed epochs alone, or loaded the original's.)"""

    def load_state_dict(self, state_dict: dict) -> None:
        old = state_dict.get("dirpath")
        if old and self.dirpath and old != self.dirpath:
            def moved(path):
                inside = isinstance(path, str) and Path(path).parent == Path(old)
                return str(Path(self.dirpath) / Path(path).name) if inside else path

            best_k = {moved(k): v for k, v in state_dict.get("best_k_models", {}).items()}
            state_dict = {**state_dict, "dirpath": self.dirpath,
                          **{k: moved(state_dict.get(k)) for k in
                             ("best_model_path", "kth_best_model_path", "last_model_path")},
                          "best_k_models": best_k}
        super().load_state_dict(state_dict)


def earlier_rows(metrics_csv: Path, state: dict) -> list[dict]:
    """The rows of metrics.csv logged before the checkpoint a resumed run continues from (Lightning's
    CSV logger deletes the file when it starts): every epoch before the checkpoint's, that epoch
    too when it had ended, and the per-step rows of an epoch stopped in the middle."""
    if not metrics_csv.is_file():
        return []
    epoch, step = int(state.get("epoch", 0)), int(state.get("global_step", 0))
    done = (state.get("sampler_position") or [0, 0])[1]
    with open(metrics_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    def kept(row) -> bool:
        if not row.get("epoch"):
            return int(float(row.get("step") or 0)) < step
        e = int(float(row["epoch"]))
        return e < epoch or (e == epoch and (not done or int(float(row.get("step") or 0)) < step))
    return [row for row in rows if kept(row)]


def prepend_rows(metrics_csv: Path, earlier: list[dict]) -> None:
    """Writes metrics.csv as `earlier` rows followed by the file's own, over the union of columns."""
    later = []
    if metrics_csv.is_file():
        with open(metrics_csv, newline="") as f:
            later = list(csv.DictReader(f))
    rows = earlier + later
    fields = list(dict.fromkeys(k for row in rows for k in row))
    tmp = metrics_csv.with_name(f".{metrics_csv.name}.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(metrics_csv)


def check_fresh_start(run_dir: Path, overwrite: bool) -> None:
    """A run started without resume=true may not silently replace one: a finished run (metrics.json
    or checkpoints) is refused unless overwrite=true, when the files a run writes (`RUN_FILES`:
    checkpoints, metrics, tensorboard/, report/, ...) are removed, so nothing of the old run mixes
    in; an interrupted run (interrupted.ckpt) is refused even then."""
    checkpoints = run_dir / "checkpoints"
    if (checkpoints / "interrupted.ckpt").is_file():
        raise ValueError(f"output_dir={run_dir} holds an interrupted run (checkpoints/interrupted.ckpt); "
                         "resume=true continues it, or choose another output_dir")
    found = [p for p in (run_dir / "metrics.json", run_dir / "metrics.csv") if p.is_file()]
    found += sorted(checkpoints.glob("*.ckpt")) if checkpoints.is_dir() else []
    if not found:
        return
    if overwrite and global_rank() != 0:
        return  # under torchrun or srun, global rank 0 alone removes the old files
    if not overwrite:
        names = ", ".join(p.name for p in found[:3])
        raise ValueError(f"output_dir={run_dir} already holds a run ({names}); resume=true continues it, "
                         "overwrite=true replaces it")
    removed = sorted({p for pattern in RUN_FILES for p in run_dir.glob(pattern)})
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    log.warning("overwrite=true: removed the earlier run's %s from %s", [p.name for p in removed], run_dir)


def global_rank() -> int:
    """This process's rank among those launched together (torchrun: RANK, srun: SLURM_PROCID)."""
    return int(os.environ.get("RANK", os.environ.get("SLURM_PROCID", "0")))


def resume_checkpoint(run_dir: Path, resolved: dict) -> Path:
    """The checkpoint `resume=true` continues from: the newer of `interrupted.ckpt` and `last.ckpt`.
    Refused when there is none, or when what defines the run (task, data, encoder, optimisation,
    seed) differs from the run's `config.yaml`; the keys of `FREE_ON_RESUME` may differ."""
    found = [path for name in ("interrupted.ckpt", "last.ckpt")
             if (path := run_dir / "checkpoints" / name).is_file()]
    if not found:
        raise FileNotFoundError(f"resume=true but {run_dir}/checkpoints holds no interrupted.ckpt or "
                                "last.ckpt; set output_dir to the run to continue")
    stored = OmegaConf.to_container(OmegaConf.load(run_dir / "config.yaml"))
    try:
        check_plain(stored)
    except ValueError as e:
        raise ValueError(f"{run_dir}/config.yaml: {e}") from None
    saved, now = flatten(stored), flatten(resolved)
    changed = sorted(k for k in saved.keys() | now.keys()
                     if k != "resume" and not _free_on_resume(k) and saved.get(k) != now.get(k))
    if changed:
        shown = "; ".join(f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in changed[:3])
        raise ValueError(f"resume=true continues a run with its own config, but {len(changed)} key(s) "
                         f"differ from {run_dir}/config.yaml ({shown}); drop those overrides")
    # the further one by training progress (file times change with cp -r or an unzip)
    states = {p: load_checkpoint(p) for p in found}
    chosen = max(found, key=lambda p: (states[p].get("global_step", -1), p.name == "interrupted.ckpt"))
    moved = [k for k in PER_PROCESS_KEYS if saved.get(k) != now.get(k)]
    done = (states[chosen].get("sampler_position") or [0, 0])[1]
    if moved and done:
        raise ValueError(f"resume=true with other {', '.join(moved)} from {chosen.name}, which stopped "
                         f"{done} batches into an epoch: those batches are counted per process; resume "
                         "with the run's own devices, or from an epoch's end")
    return chosen


def _free_on_resume(key: str) -> bool:
    return any(key == k or key.startswith(k + ".") for k in FREE_ON_RESUME)

