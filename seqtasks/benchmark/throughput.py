"""Training throughput of a seqtasks run against a plain PyTorch loop over the same model, data,
batch size and optimizer; and the encoders' fused and explicit paths side by side."""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F
from pytorch_lightning.callbacks import Callback

from seqtasks.benchmark.common import fit_without_validation, new_model, ready_data
from seqtasks.encoders import (
    GRUEncoder,
    IndRNNEncoder,
    LSTMEncoder,
    MinGRUEncoder,
    MinLSTMEncoder,
    RNNEncoder,
)


class StepClock(Callback):
    """Wall time and samples from the end of step `warmup` to the end of the last step."""

    def __init__(self, warmup: int):
        self.warmup, self.start, self.end, self.samples = warmup, None, None, 0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step == self.warmup:
            self.start = time.perf_counter()
        elif trainer.global_step > self.warmup:
            self.samples += len(batch[-1])
        self.end = time.perf_counter()


def seqtasks_throughput(cfg, data, warmup: int, steps: int) -> float:
    """Samples per second of the seqtasks Trainer (its callbacks, logging and epoch-end
    checkpoints included; no validation), after `warmup` steps."""
    clock = StepClock(warmup)
    fit_without_validation(cfg, data, [clock], max_steps=warmup + steps, max_epochs=-1)
    return clock.samples / (clock.end - clock.start)


def plain_throughput(cfg, data, warmup: int, steps: int) -> float:
    """Samples per second of a hand-written loop: AdamW, one-cycle schedule, clipping at 1.0."""
    model = new_model(cfg, data).train()
    total = warmup + steps
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.task.lr, weight_decay=cfg.task.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.task.lr, total_steps=total,
                                                pct_start=cfg.task.warmup_fraction)
    loader, step, epoch, samples, start = data.train_dataloader(), 0, 0, 0, None
    while step < total:
        loader.batch_sampler.set_epoch(epoch)
        for x, lengths, y in loader:
            loss = F.cross_entropy(model(x, lengths), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step == warmup:
                start = time.perf_counter()
            elif step > warmup:
                samples += len(y)
            if step == total:
                break
        epoch += 1
    return samples / (time.perf_counter() - start)


def framework_overhead(overrides: list[str], warmup: int, steps: int, repeats: int) -> dict:
    """Plain and seqtasks runs alternated `repeats` times (the machine's noise hits both);
    overhead_ratio = median seqtasks throughput / median plain throughput."""
    cfg, data = ready_data(overrides)
    plain, ours = [], []
    for _ in range(repeats):
        plain.append(plain_throughput(cfg, data, warmup, steps))
        ours.append(seqtasks_throughput(cfg, data, warmup, steps))
    return {"overhead_ratio": round(statistics.median(ours) / statistics.median(plain), 3),
            "plain_samples_per_s": [round(v, 1) for v in plain],
            "seqtasks_samples_per_s": [round(v, 1) for v in ours],
            "steps": steps, "warmup": warmup, "batch_size": cfg.data.batch_size}


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up (allocations, first-call dispatch, compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def encoder_speed(shapes: list[tuple[int, int]], hidden: int = 128, repeats: int = 5,
                  compile_explicit: bool = False, device: str = "cpu") -> list[dict]:
    """Milliseconds per forward and forward+backward for RNN/LSTM x fused/explicit(/compiled) at
    each (batch, length); lengths are mixed (T/2..T) so the packed path is exercised."""
    rows = []
    for cls in (RNNEncoder, LSTMEncoder):
        for batch, length in shapes:
            g = torch.Generator().manual_seed(0)
            x = torch.randn(batch, length, hidden, generator=g).to(device)  # (B, T, H)
            lengths = torch.randint(length // 2, length + 1, (batch,), generator=g)
            lengths[0] = length
            for impl in ["fused", "explicit"] + (["explicit+compile"] if compile_explicit else []):
                torch.manual_seed(0)
                enc = cls(hidden, hidden, impl=impl.split("+")[0]).to(device)
                run = torch.compile(enc) if impl.endswith("compile") else enc
                rows.append({"encoder": cls.__name__, "impl": impl, "batch": batch, "length": length,
                             "device": device, **_time_encoder(run, x, lengths, repeats, device)})
    return rows


def _time_encoder(run, x, lengths, repeats: int, device: str) -> dict:
    start = time.perf_counter()
    with torch.no_grad():
        run(x, lengths)  # compilation, when asked, happens here
    first = time.perf_counter() - start

    def forward():
        with torch.no_grad():
            run(x, lengths)
        _sync(device)

    def forward_backward():
        run(x, lengths)[1].sum().backward()
        _sync(device)

    return {"first_call_s": round(first, 2), "forward_ms": round(1e3 * _median_seconds(forward, repeats), 2),
            "forward_backward_ms": round(1e3 * _median_seconds(forward_backward, repeats), 2)}


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


FAMILY = {  # name -> encoder (one layer, one direction, hidden H from input H)
    "lstm (fused)": lambda h: LSTMEncoder(h, h), "gru (fused)": lambda h: GRUEncoder(h, h),
    "rnn (fused)": lambda h: RNNEncoder(h, h), "indrnn": lambda h: IndRNNEncoder(h, h, num_layers=1),
    "mingru (parallel)": lambda h: MinGRUEncoder(h, h), "minlstm (parallel)": lambda h: MinLSTMEncoder(h, h),
    "mingru (log-space)": lambda h: MinGRUEncoder(h, h, impl="log"),
    "mingru (sequential)": lambda h: MinGRUEncoder(h, h, impl="sequential"),
}


def encoder_family_speed(lengths=(100, 500, 2000), batch: int = 32, hidden: int = 128, repeats: int = 3,
                         device: str = "cpu") -> list[dict]:
    """Forward+backward ms per batch of every encoder at each T (all rows full length), with its
    ratio to the fused LSTM measured in the same run."""
    rows = []
    for length in lengths:
        x = torch.randn(batch, length, hidden, generator=torch.Generator().manual_seed(0)).to(device)
        full = torch.full((batch,), length)
        timed = {}
        for name, build in FAMILY.items():
            torch.manual_seed(0)
            measured = _time_encoder(build(hidden).to(device), x, full, repeats, device)
            timed[name] = measured["forward_backward_ms"]
        rows += [{"encoder": name, "device": device, "batch": batch, "length": length, "hidden": hidden,
                  "forward_backward_ms": ms, "ratio_to_lstm": round(ms / timed["lstm (fused)"], 2)}
                 for name, ms in timed.items()]
    return rows
