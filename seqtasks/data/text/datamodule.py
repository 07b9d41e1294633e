"""Text classification data: any labelled text source -> tokenized, cached, length-bucketed batches."""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path

import datasets
import numpy as np
import torch
from filelock import FileLock
from tokenizers import Tokenizer
from torch.utils.data import DataLoader

from seqtasks.data.batching import epoch_loader, pad_token_batch
from seqtasks.data.cache import built_atomically, content_key, default_cache_dir
from seqtasks.data.splits import SplitDataModule, check_known_labels
from seqtasks.data.text.embeddings import lsa_word_vectors
from seqtasks.data.text.sources import open_text_source
from seqtasks.data.text.tokenization import train_tokenizer
from seqtasks.values import check_positive_int, check_share

log = logging.getLogger(__name__)
CACHE_VERSION = 1
EMPTY_TEXT_POLICIES = ("drop", "error")
ROW_BATCH = 1000  # rows read (and mapped) at a time while preparing


NOT_TEXT = (".wav", ".flac", ".mp3", ".ogg", ".csv", ".parquet", ".onnx", ".ckpt")  # files, not texts


class TextDataModule(SplitDataModule):
    """Labelled texts from files, a label-folder tree, the hub or a shipped corpus.

    Labels are strings mapped to ids in sorted order of the training labels. Missing splits are
    carved out of train (seeded, stratified): validation by `val_fraction`, test by
    `test_fraction` of the source. Texts of train that also occur in validation/test are removed
    from train (`drop_overlap`). The processed splits and tokenizer are cached on disk, keyed by
    the source's content and these settings, so a second run does not tokenize again.
    """

    def __init__(self, root=None, files=None, hub_id=None, builtin=None,
                 text_column: str = "text", label_column: str = "label",
                 val_fraction: float = 0.1, test_fraction: float = 0.1, drop_overlap: bool = True,
                 empty_texts: str = "drop", tokenizer: str = "word", vocab_size: int = 30000,
                 min_frequency: int = 2, lowercase: bool = True, max_length: int = 256,
                 batch_size: int = 32, bucket: bool = True, num_workers: int = 0, seed: int = 0,
                 cache_dir: str | None = None, cv_folds: int | None = None, cv_fold: int = 0):
        super().__init__()
        if empty_texts not in EMPTY_TEXT_POLICIES:
            raise ValueError(f"data.empty_texts='{empty_texts}' is not one of "
                             f"{list(EMPTY_TEXT_POLICIES)}")
        for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
            check_share(f"data.{name}", value)
        for name, value in (("max_length", max_length), ("batch_size", batch_size),
                            ("vocab_size", vocab_size), ("min_frequency", min_frequency)):
            check_positive_int(f"data.{name}", value)
        self.source = dict(root=root, files=files, hub_id=hub_id, builtin=builtin)
        self.columns = (text_column, label_column)
        if cv_folds is not None:
            check_positive_int("data.cv_folds", cv_folds, minimum=2, note=" (>= 2 folds)")
            if isinstance(cv_fold, bool) or not isinstance(cv_fold, int) or not 0 <= cv_fold < cv_folds:
                raise ValueError(f"data.cv_fold={cv_fold!r} must be in [0, {cv_folds}) (data.cv_folds)")
        self.cv_folds, self.cv_fold = cv_folds, cv_fold
        self.split_args = dict(val_fraction=val_fraction, test_fraction=test_fraction,
                               drop_overlap=drop_overlap, empty_texts=empty_texts, seed=seed,
                               cv=[cv_folds, cv_fold] if cv_folds else None)
        self.tokenizer_args = dict(kind=tokenizer, vocab_size=vocab_size,
                                   min_frequency=min_frequency, lowercase=lowercase)
        self.max_length, self.batch_size, self.bucket = max_length, batch_size, bucket
        self.num_workers, self.seed = num_workers, seed
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.splits: datasets.DatasetDict | None = None
        self._path: Path | None = None

    # ---- preparation (once, cached) -------------------------------------------------------
    def prepare_data(self) -> None:
        """Builds the processed cache if it is missing; cheap when it exists. Lightning calls it on
        one process per machine; `setup` (every process) waits for it under a file lock."""
        self._processed_dir()

    def _processed_dir(self) -> Path:
        if self._path is not None:
            return self._path
        fingerprint, read = open_text_source(**self.source, cache_dir=self.cache_dir / "hf")
        settings = dict(v=CACHE_VERSION, src=fingerprint, cols=self.columns, max_len=self.max_length,
                        tok=self.tokenizer_args, **self.split_args)
        key = content_key(settings)
        out = self.cache_dir / "text" / key
        out.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{out}.lock"):  # several processes (DDP): the first builds, the others wait
            if (out / "meta.json").is_file():
                log.info("using processed text cache %s", out)
            else:
                self._build(read, key, out)
        self._path = out
        return out

    def _build(self, read, key: str, out: Path) -> None:
        """Reads (`read()`), cleans, splits, tokenizes and saves the source. Texts are read in
        batches of `ROW_BATCH` rows and mapped to disk when the source is on disk (files, the hub),
        and each stage's input is let go once the next exists, so memory stays flat however large
        the data (memory-mapped Arrow pages count as resident while a dataset holds them)."""
        splits, label_names, stats = self._clean_and_split(read)
        tok = train_tokenizer(_texts(splits["train"]), **self.tokenizer_args)
        tok.enable_truncation(self.max_length)
        splits = datasets.DatasetDict({
            split: ds.map(partial(_encode, tok), batched=True, batch_size=ROW_BATCH,
                          new_fingerprint=f"{key}-{split}") for split, ds in splits.items()})
        with built_atomically(out) as tmp:  # a crash never leaves a half-written cache
            splits.save_to_disk(tmp / "dataset")
            tok.save(str(tmp / "tokenizer.json"))
            (tmp / "meta.json").write_text(json.dumps({"label_names": label_names, "stats": stats}))
        log.info("tokenized and cached %s", out)

    def _clean_and_split(self, read):
        """`read()`'s raw rows -> (train/validation/test with text and label ids, label names,
        stats). The raw rows are referenced here alone, so they are let go once relabelled (a
        caller's argument tuple would keep them mapped to the end)."""
        raw, names = read()
        text_col, label_col = self.columns
        stats, cleaned = {}, {}
        for split, ds in raw.items():
            for col, arg in ((text_col, "text_column"), (label_col, "label_column")):
                if col not in ds.column_names:
                    raise ValueError(f"column '{col}' not found in {names[split]} (columns: "
                                     f"{', '.join(ds.column_names)}); set data.{arg}")
            _check_labels_present(ds, label_col, names[split])
            cleaned[split] = self._drop_empty(ds, split, names[split], stats)
        label_features = {split: ds.features[label_col] for split, ds in raw.items()}
        del raw, ds  # the raw rows are read once more below, through `cleaned`
        label_names = _label_names(label_features["train"], cleaned["train"][label_col])
        features = datasets.Features({"text": datasets.Value("string"),
                                      "label": datasets.ClassLabel(names=label_names)})
        to_id = {name: i for i, name in enumerate(label_names)}
        for split, ds in cleaned.items():
            feature = label_features[split]
            check_known_labels({_label_str(feature, v) for v in ds[label_col]}, label_names,
                               f"in {names[split]}")
            cleaned[split] = ds.map(
                lambda b, feature=feature: {"text": [str(t) for t in b[text_col]],
                                            "label": [to_id[_label_str(feature, v)] for v in b[label_col]]},
                batched=True, batch_size=ROW_BATCH, features=features, remove_columns=ds.column_names)
        del ds
        splits = self._carve_missing_splits(datasets.DatasetDict(cleaned))
        if self.cv_folds:
            splits = self._cross_validation_fold(splits)
            stats.update(cv_folds=self.cv_folds, cv_fold=self.cv_fold)
        if self.split_args["drop_overlap"]:
            held_out = set(_texts(splits["validation"])) | set(_texts(splits["test"]))
            keep = [i for i, t in enumerate(_texts(splits["train"])) if t not in held_out]
            stats["train_duplicates_removed"] = len(splits["train"]) - len(keep)
            splits["train"] = splits["train"].select(keep)
            log.info("removed %d training texts that also occur in validation/test",
                     stats["train_duplicates_removed"])
        for split, ds in splits.items():
            if len(ds) == 0:
                dropped = {k: v for k, v in stats.items() if k.endswith(("_dropped", "_removed")) and v}
                raise ValueError(f"the {split} split of {names.get(split, names['train'])} is empty"
                                 + (f" after cleaning (removed: {dropped})" if dropped else ""))
            stats[f"{split}_size"] = len(ds)
        return splits, label_names, stats

    def _drop_empty(self, ds: datasets.Dataset, split: str, name: str, stats: dict):
        empty = [i for i, t in enumerate(_texts(ds, self.columns[0])) if t is None or not str(t).strip()]
        if empty and self.split_args["empty_texts"] == "error":
            raise ValueError(f"{len(empty)} empty or whitespace-only text(s) in {name} (first at "
                             f"row {empty[0]}); set data.empty_texts=drop to drop them")
        if empty and len(empty) == len(ds):
            raise ValueError(f"every text of {name} ({len(ds)}) is empty or whitespace-only; is "
                             f"data.text_column={self.columns[0]!r} the column of the texts?")
        if empty:
            log.warning("dropped %d empty or whitespace-only texts from %s", len(empty), name)
        stats[f"{split}_empty_texts_dropped"] = len(empty)
        empty_set = set(empty)
        return ds.select([i for i in range(len(ds)) if i not in empty_set]) if empty else ds

    def _carve_missing_splits(self, splits: datasets.DatasetDict) -> datasets.DatasetDict:
        """Missing test: `test_fraction` of the whole source; missing validation:
        `val_fraction` of the source (of train when test was given). Seeded and stratified."""
        seed, val_f, test_f = (self.split_args[k] for k in ("seed", "val_fraction", "test_fraction"))
        n = len(splits["train"])
        for split, fraction in (("test", test_f), ("validation", val_f)):
            if split not in splits:
                try:
                    parts = splits["train"].train_test_split(
                        test_size=max(1, round(n * fraction)), stratify_by_column="label", seed=seed)
                except ValueError as e:  # scikit-learn style wording that names no file or class
                    names = splits["train"].features["label"].names
                    counts = np.bincount(splits["train"]["label"], minlength=len(names))
                    rare = [f"{names[i]} ({c})" for i, c in enumerate(counts) if c < 2]
                    raise ValueError(f"cannot carve a stratified {split} split out of the training rows: "
                                     f"class(es) {rare or names} have too few rows ({e}); give a {split} "
                                     "file, or add rows") from None
                splits["train"], splits[split] = parts["train"], parts["test"]
        return datasets.DatasetDict({k: splits[k] for k in ("train", "validation", "test")})

    def _cross_validation_fold(self, splits: datasets.DatasetDict) -> datasets.DatasetDict:
        """`data.cv_folds=K data.cv_fold=i`: fold i of a stratified, seeded K-fold of the training
        split becomes the held-out split (scored as cv/*), the other folds train; validation stays
        as it was, and the test split is set aside unread by any model."""
        labels = np.asarray(splits["train"]["label"])
        rng = np.random.default_rng(self.seed)
        fold = np.empty(len(labels), dtype=int)
        for label in np.unique(labels):  # each class dealt round-robin over the folds, shuffled
            rows = rng.permutation(np.flatnonzero(labels == label))
            fold[rows] = (np.arange(len(rows)) + rng.integers(self.cv_folds)) % self.cv_folds
        held_out = fold == self.cv_fold
        return datasets.DatasetDict({"train": splits["train"].select(np.flatnonzero(~held_out)),
                                     "validation": splits["validation"],
                                     "test": splits["train"].select(np.flatnonzero(held_out))})

    # ---- loading ---------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits is not None:
            return
        path = self._processed_dir()
        self.splits = datasets.load_from_disk(str(path / "dataset"))
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        meta = json.loads((path / "meta.json").read_text())
        self.label_names, self.stats = meta["label_names"], meta["stats"]

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    def model_kwargs(self) -> dict:
        """The sizes a model takes from the data, so they are never typed twice."""
        return dict(vocab_size=self.vocab_size, num_classes=self.num_classes,
                    label_names=list(self.label_names))

    def lsa_embeddings(self, dim: int) -> torch.Tensor:
        """(vocab_size, dim) word vectors from the training split's whole texts (see
        `lsa_word_vectors`), past `max_length` too: co-occurrence over whole articles costs one
        pass, no training time, and gives vectors to words a model first meets in a test text."""
        whole = Tokenizer.from_str(self.tokenizer.to_str())
        whole.no_truncation()
        ids = [e.ids for e in whole.encode_batch(self.splits["train"]["text"])]
        return lsa_word_vectors(ids, self.vocab_size, dim)

    def state_dict(self) -> dict:
        """Saved inside every checkpoint: what prediction needs to turn text into ids and back."""
        return dict(label_names=list(self.label_names), tokenizer=self.tokenizer.to_str(),
                    max_length=self.max_length)

    def load_state_dict(self, state: dict) -> None:
        """Adopts a checkpoint's tokenizer, label names and max_length, so a trained model reads
        this data (or raw texts) with its own vocabulary; loaded splits are re-encoded if needed."""
        tokenizer = Tokenizer.from_str(state["tokenizer"])
        old_names = getattr(self, "label_names", None)
        unchanged = (self.splits is not None and tokenizer.to_str() == self.tokenizer.to_str()
                     and list(state["label_names"]) == list(old_names))
        self.tokenizer, self.max_length = tokenizer, state["max_length"]
        self.label_names = list(state["label_names"])
        if self.splits is not None and not unchanged:
            self.splits = datasets.DatasetDict({split: self._reencode(ds, old_names)
                                                for split, ds in self.splits.items()})

    def _reencode(self, ds: datasets.Dataset, old_names: list[str]) -> datasets.Dataset:
        labels = [old_names[i] for i in ds["label"]]
        check_known_labels(labels, self.label_names, "of this data (the model's)")
        to_id = {name: i for i, name in enumerate(self.label_names)}
        fresh = datasets.Dataset.from_dict({"text": ds["text"], "label": [to_id[v] for v in labels]})
        return fresh.map(partial(_encode, self.tokenizer), batched=True, keep_in_memory=True)

    # ---- what reports and prediction ask of a datamodule ----------------------------------
    def describe(self, split: str, indices: list[int]) -> list[str]:
        """The input of each row as a person reads it: the text."""
        return self.splits[split].select(indices)["text"]

    def step_labels(self, split: str, index: int) -> list[str]:
        """One label per time step of a row (its tokens), for plots over time."""
        return [self.tokenizer.id_to_token(i) for i in self.splits[split][index]["input_ids"]]

    def read_inputs(self, inputs: list[str]) -> list[str]:
        """Texts to predict: each item is a literal text, or a path to a .txt file holding one
        text per line (blank lines skipped)."""
        texts = []
        for item in inputs:
            path = Path(str(item))
            if path.suffix == ".txt" and path.is_file():
                texts += [line for line in path.read_text().splitlines() if line.strip()]
            elif path.suffix == ".txt":
                raise FileNotFoundError(f"inputs: text file {path} does not exist")
            elif path.suffix.lower() in NOT_TEXT and path.is_file():
                raise ValueError(f"inputs: {path} is a {path.suffix} file, but this model reads text "
                                 "(literal texts, or .txt files with one text per line)")
            else:
                texts.append(str(item))
        return texts

    def predict_loader(self, texts: list[str]) -> DataLoader:
        """Raw texts -> batches (ids [B, T], lengths [B], dummy labels [B]) in input order, encoded
        with the (adopted) tokenizer."""
        ids = _encode(self.tokenizer, {"text": texts})["input_ids"]
        rows = [{"input_ids": row, "label": 0} for row in ids]
        return DataLoader(rows, batch_size=self.batch_size, shuffle=False, collate_fn=pad_token_batch)

    def save_artifacts(self, run_dir: Path) -> None:
        self.tokenizer.save(str(Path(run_dir) / "tokenizer.json"))
        (Path(run_dir) / "labels.json").write_text(json.dumps(self.label_names, indent=1))

    def lengths(self, split: str) -> torch.Tensor:
        """Tokens per row of `split` (after truncation): what length bucketing sorts by."""
        return torch.as_tensor(self.splits[split]["length"])

    def _loader(self, split: str) -> DataLoader:
        """Length-bucketed batches, shared out among DDP processes (see `epoch_loader`)."""
        ds = self.splits[split].select_columns(["input_ids", "label"])
        return epoch_loader(ds, self.batch_size, shuffle=split == "train", seed=self.seed,
                            trainer=self.trainer, lengths=self.lengths(split),
                            bucket=self.bucket, num_workers=self.num_workers,
                            collate_fn=pad_token_batch)


def _texts(ds: datasets.Dataset, column: str = "text"):
    """The texts of `ds`, read `ROW_BATCH` rows at a time (never the whole column at once)."""
    for batch in ds.select_columns([column]).iter(batch_size=ROW_BATCH):
        yield from batch[column]


def _encode(tok: Tokenizer, batch: dict) -> dict:
    ids = [e.ids or [1] for e in tok.encode_batch(batch["text"])]  # no tokens at all -> [UNK]
    return {"input_ids": ids, "length": [len(i) for i in ids]}


def _check_labels_present(ds: datasets.Dataset, column: str, name: str) -> None:
    """A missing label (JSON null, an empty cell) is refused naming the row: it would otherwise
    become a class of its own ("None", "")."""
    missing = [i for i, v in enumerate(ds[column]) if v is None or (isinstance(v, str) and not v.strip())]
    if missing:
        raise ValueError(f"{name}: {len(missing)} row(s) without a label in column '{column}', first at "
                         f"row {missing[0]} (counting from 0 after any header); fill or remove them")


def _label_str(feature, value) -> str:
    """Labels as strings: ClassLabel ids become their names; other values are str()-ed."""
    return feature.int2str(value) if isinstance(feature, datasets.ClassLabel) else str(value)


def _label_names(feature, train_labels) -> list[str]:
    if isinstance(feature, datasets.ClassLabel):
        return list(feature.names)
    return sorted({str(v) for v in train_labels})
