"""Bad input gets a one-line error naming the file, column or option, before any training."""

import subprocess
import sys
from pathlib import Path

import pytest

from seqtasks.config.compose import check_choices
from seqtasks.data import TextDataModule
from seqtasks.encoders import LSTMEncoder
from tests.conftest import make_rows, write_csv

ROOT = Path(__file__).resolve().parents[1]


def setup_error(match: str, **kwargs):
    with pytest.raises((ValueError, FileNotFoundError), match=match) as info:
        TextDataModule(**kwargs).setup()
    assert "\n" not in str(info.value)


def test_missing_file_is_named(tmp_path):
    setup_error(r"data file .*nope\.csv does not exist", files={"train": tmp_path / "nope.csv"})


def test_missing_root_is_named(tmp_path):
    setup_error(r"data.root=.*absent does not exist", root=tmp_path / "absent")


def test_missing_text_column_names_file_and_columns(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(20))
    setup_error(r"column 'body' not found in .*train\.csv \(columns: text, label\); "
                r"set data.text_column", root=tmp_path, text_column="body")


def test_missing_label_column(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(20))
    setup_error(r"column 'topic' not found .*data.label_column", root=tmp_path,
                label_column="topic")


def test_empty_dataset(tmp_path):
    (tmp_path / "train.csv").write_text("text,label\n")
    setup_error(r"train\.csv holds no rows \(only a header\)", root=tmp_path)


def test_whitespace_texts_dropped_and_counted(tmp_path):
    rows = make_rows(60) + [{"text": "   ", "label": "tech"}, {"text": "", "label": "food"}]
    write_csv(tmp_path / "train.csv", rows)
    dm = TextDataModule(root=tmp_path)
    dm.setup()
    assert dm.stats["train_empty_texts_dropped"] == 2
    assert dm.stats["train_size"] + dm.stats["validation_size"] + dm.stats["test_size"] == 60


def test_whitespace_texts_are_an_error_when_configured(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(30) + [{"text": " \t", "label": "tech"}])
    setup_error(r"1 empty or whitespace-only text\(s\) in .*train\.csv \(first at row 30\)",
                root=tmp_path, empty_texts="error")


def test_label_unseen_in_training(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(30))
    write_csv(tmp_path / "test.csv", [{"text": "hello", "label": "weather"}])
    setup_error(r"label\(s\) \['weather'\] in .*test\.csv never appear in training",
                root=tmp_path)


@pytest.mark.parametrize("kwargs, match", [
    (dict(empty_texts="skip"), r"data.empty_texts='skip' is not one of \['drop', 'error'\]"),
    (dict(max_length=0), r"data.max_length=0 must be a positive int"),
    (dict(val_fraction=0.7), r"data.val_fraction=0.7 must be in"),
])
def test_bad_data_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TextDataModule(builtin="bbc_news", **kwargs)


def test_unknown_builtin_lists_known():
    setup_error(r"data.builtin='imdb' is not one of \['bbc_news'\]", builtin="imdb")


def test_bad_encoder_values():
    with pytest.raises(ValueError, match="hidden_size=-4"):
        LSTMEncoder(8, -4)
    with pytest.raises(ValueError, match="dropout=1.0"):
        LSTMEncoder(8, 4, dropout=1.0)


ENCODER_CHOICES = "gru, indrnn, lstm, mingru, minlstm, rnn"


@pytest.mark.parametrize("override, listed", [("task=vision", "text"),
                                              ("encoder=transformer", ENCODER_CHOICES),
                                              ("data=imdb", "bbc_news")])
def test_unknown_group_choice_lists_valid_ones(override, listed):
    with pytest.raises(ValueError, match=f"unknown {override.split('=')[0]} .*{listed}"):
        check_choices([override])


@pytest.mark.slow  # starts a process
def test_train_script_reports_one_line_and_exits_nonzero(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), "encoder=cnn",
                             f"output_dir={tmp_path}/run"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip() == f"error: unknown encoder 'cnn'; choose from: {ENCODER_CHOICES}"
    assert not (tmp_path / "run").exists()


@pytest.mark.slow  # starts a process
def test_train_script_names_a_missing_column(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(20))
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"),
                             f"data.root={tmp_path}", "data.builtin=null", "data.text_column=body",
                             f"output_dir={tmp_path}/run"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("error: column 'body' not found in")
    assert not (tmp_path / "run" / "metrics.json").exists()
