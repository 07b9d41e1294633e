"""`seqtasks data fetch`: public sources (here a file:// mirror, never the network) become the
documented layout, checked by SHA-256 against the copy the results used; nothing half-written."""

import csv
import zipfile
from pathlib import Path

import pytest

from seqtasks.cli import main as seqtasks_main
from seqtasks.data.fetch import DATASETS, digest, fetch
from tests.conftest import SHARED_DATA, needs_shared


def raw_lines(path, line) -> bytes:
    """A reference CSV back in its source's line format, encoded as the source is (latin-1)."""
    with open(path, newline="", encoding="utf-8") as f:
        return "".join(line(row) + "\n" for row in csv.DictReader(f)).encode("latin-1")


def make_mirror(folder):
    """The public sources' files, rebuilt from ../shared/data (plus a speaker the copy leaves out)."""
    folder.mkdir()
    trec, sst2 = SHARED_DATA / "text" / "trec", SHARED_DATA / "text" / "sst2"
    for name, split in (("train_5500.label", "train"), ("TREC_10.label", "test")):
        line = lambda r: f"{r['fine_label']} {r['text']}"  # noqa: E731
        (folder / name).write_bytes(raw_lines(trec / f"{split}.csv", line))
    for name, split in (("stsa.binary.train", "train"), ("stsa.binary.dev", "validation"),
                        ("stsa.binary.test", "test")):
        line = lambda r: f"{int(r['label'] == 'positive')} {r['text']}"  # noqa: E731
        (folder / name).write_bytes(raw_lines(sst2 / f"{split}.csv", line))
    (folder / "ETTh1.csv").write_bytes((SHARED_DATA / "timeseries" / "ETTh1.csv").read_bytes())
    with zipfile.ZipFile(folder / "master.zip", "w") as archive:
        for wav in sorted((SHARED_DATA / "fsdd" / "recordings").glob("*.wav")):
            archive.writestr(f"free-spoken-digit-dataset-master/recordings/{wav.name}", wav.read_bytes())
        archive.writestr("free-spoken-digit-dataset-master/recordings/0_yweweler_0.wav", b"RIFF")
        archive.writestr("free-spoken-digit-dataset-master/README.md", "FSDD")
    return folder.as_uri()


@needs_shared
@pytest.mark.parametrize("name", list(DATASETS))
def test_each_dataset_is_laid_out_as_the_reference_copy(name, tmp_path):
    mirror = make_mirror(tmp_path / "mirror")
    target = fetch(name, tmp_path / "data", mirror, log=lambda m: None)
    for file in DATASETS[name].sha256:
        assert digest(target / file) == digest(SHARED_DATA / DATASETS[name].folder / file)
    if name == "fsdd":
        assert len(list((target / "recordings").glob("*.wav"))) == 2500


def test_a_checksum_mismatch_writes_nothing(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "ETTh1.csv").write_text("date,OT\n2016-07-01 00:00:00,30.5\n")
    (tmp_path / "data").mkdir()
    with pytest.raises(ValueError, match=r"etth1: ETTh1.csv has SHA-256 \w+\.\.\., expected f18de3ad"):
        fetch("etth1", tmp_path / "data", mirror.as_uri(), log=lambda m: None)
    assert list((tmp_path / "data").iterdir()) == []


def test_offline_it_says_what_to_download_and_where(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        seqtasks_main(["data", "fetch", "trec", "--to", str(tmp_path / "data"),
                       "--mirror", (tmp_path / "nowhere").as_uri()])
    progress, error = capsys.readouterr().err.strip(), stop.value.code
    assert error.startswith(f"error: cannot download {(tmp_path / 'nowhere').as_uri()}/train_5500.label")
    assert f"lay it out as {tmp_path}/data/text/trec/{{train.csv,test.csv}}" in error
    assert "\n" not in error and progress.startswith("downloading ") and not (tmp_path / "data").exists()


def test_files_already_there_are_not_replaced(tmp_path):
    (tmp_path / "timeseries").mkdir()
    (tmp_path / "timeseries" / "ETTh1.csv").write_text("mine")
    with pytest.raises(FileExistsError, match="ETTh1.csv already exists"):
        fetch("etth1", tmp_path, "file:///unused", log=lambda m: None)
    assert (tmp_path / "timeseries" / "ETTh1.csv").read_text() == "mine"


def test_unknown_datasets_are_refused(capsys):
    with pytest.raises(SystemExit):
        seqtasks_main(["data", "fetch", "imdb", "--to", "x"])
    assert "invalid choice: 'imdb' (choose from 'trec', 'sst2', 'etth1', 'fsdd')" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown dataset 'imdb'; choose from: trec, sst2, etth1, fsdd"):
        fetch("imdb", Path("x"))
