import json
import re

import pytest

import seqtasks.data.text.datamodule as text_module
from seqtasks.data import TextDataModule
from tests.conftest import SHARED_DATA, make_rows, needs_shared, write_csv


def test_validation_is_carved_from_train_stratified_and_test_kept(text_root):
    dm = TextDataModule(root=text_root, val_fraction=0.2, seed=0)
    dm.setup()
    assert dm.stats["test_size"] == 30  # test.csv untouched
    assert dm.stats["validation_size"] == 30 and dm.stats["train_size"] == 120
    val_labels = dm.splits["validation"]["label"]
    assert [val_labels.count(c) for c in range(3)] == [10, 10, 10]  # stratified


def test_labels_are_sorted_names_saved_in_the_state_dict(text_root):
    dm = TextDataModule(root=text_root)
    dm.setup()
    assert dm.label_names == ["food", "sport", "tech"]
    state = dm.state_dict()
    assert state["label_names"] == ["food", "sport", "tech"]
    assert json.loads(state["tokenizer"])["model"]["type"] == "WordLevel"


def test_tokenizer_learns_from_training_split_only(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(60))
    write_csv(tmp_path / "test.csv", [{"text": "zebra goal", "label": "sport"}] * 3)
    dm = TextDataModule(root=tmp_path)
    dm.setup()
    assert dm.tokenizer.token_to_id("zebra") is None
    assert dm.splits["test"][0]["input_ids"] == [1, dm.tokenizer.token_to_id("goal")]  # [UNK]


def test_single_split_source_gets_seeded_80_10_10(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(300))
    sizes = []
    for _ in range(2):
        dm = TextDataModule(root=tmp_path, seed=5)
        dm.setup()
        sizes.append((dm.stats["train_size"], dm.stats["validation_size"], dm.stats["test_size"]))
        first_test = dm.splits["test"]["text"][:5]
    assert sizes[0] == sizes[1] == (240, 30, 30)
    other = TextDataModule(root=tmp_path, seed=6, cache_dir=tmp_path / "c2")
    other.setup()
    assert other.splits["test"]["text"][:5] != first_test


def test_training_copies_of_held_out_texts_are_removed_and_counted(tmp_path):
    rows = make_rows(60)
    write_csv(tmp_path / "train.csv", rows)  # 4 test texts and 2 validation texts also sit in train
    write_csv(tmp_path / "test.csv", rows[:4])
    write_csv(tmp_path / "validation.csv", rows[4:6] + make_rows(10, seed=9))
    dm = TextDataModule(root=tmp_path)
    dm.setup()
    assert dm.stats["train_duplicates_removed"] == 6
    assert not set(dm.splits["train"]["text"]) & set(dm.splits["test"]["text"])
    kept = TextDataModule(root=tmp_path, drop_overlap=False, cache_dir=tmp_path / "c2")
    kept.setup()
    assert kept.stats["train_size"] == 60


def test_max_length_truncates(text_root):
    dm = TextDataModule(root=text_root, max_length=4)
    dm.setup()
    assert max(dm.splits["train"]["length"]) == 4


def test_lsa_vectors_count_words_past_max_length(tmp_path):
    """Words only ever seen past the truncation point still get a word vector: a test text may
    have them early."""
    rows = make_rows(60)
    for row in rows:
        row["text"] = "one two three " + row["text"] + " epilogue"
    write_csv(tmp_path / "train.csv", rows)
    write_csv(tmp_path / "test.csv", rows[:3])
    dm = TextDataModule(root=tmp_path, max_length=3)
    dm.setup()
    vectors = dm.lsa_embeddings(4)
    assert max(dm.splits["train"]["length"]) == 3
    assert vectors[dm.tokenizer.token_to_id("epilogue")].norm() > 0


def test_second_setup_reads_the_cache_without_reading_or_tokenizing(text_root, monkeypatch):
    import seqtasks.data.text.sources as sources

    TextDataModule(root=text_root).setup()

    def fail(*args, **kwargs):
        raise AssertionError("read or tokenized again")

    monkeypatch.setattr(text_module, "train_tokenizer", fail)
    monkeypatch.setattr(sources.datasets, "load_dataset", fail)
    dm = TextDataModule(root=text_root)
    dm.setup()
    assert dm.stats["test_size"] == 30


def test_jsonl_and_label_folders_load(tmp_path):
    jsonl = tmp_path / "j"
    jsonl.mkdir()
    (jsonl / "train.jsonl").write_text("\n".join(json.dumps(r) for r in make_rows(60)))
    dm = TextDataModule(root=jsonl)
    dm.setup()
    assert dm.num_classes == 3
    folders = tmp_path / "f"
    for i, row in enumerate(make_rows(60)):
        (folders / row["label"]).mkdir(parents=True, exist_ok=True)
        (folders / row["label"] / f"{i}.txt").write_text(row["text"])
    dm = TextDataModule(root=folders)
    dm.setup()
    assert dm.label_names == ["food", "sport", "tech"] and dm.stats["test_size"] == 6


def test_bbc_news_ships_offline_with_five_classes():
    dm = TextDataModule(builtin="bbc_news", max_length=32)
    dm.setup()
    assert dm.label_names == ["business", "entertainment", "politics", "sports", "tech"]
    total = sum(dm.stats[f"{s}_size"] for s in ("train", "validation", "test"))
    assert total + dm.stats["train_duplicates_removed"] == 2225
    assert dm.stats["test_size"] == dm.stats["validation_size"] == 222
    assert dm.stats["train_duplicates_removed"] > 10


@needs_shared
@pytest.mark.parametrize("name, sizes", [("trec", (None, None, 500)), ("sst2", (None, 872, 1821))])
def test_reference_text_sets_keep_their_official_splits(name, sizes):
    dm = TextDataModule(root=SHARED_DATA / "text" / name)
    dm.setup()
    for split, size in zip(("train", "validation", "test"), sizes, strict=True):
        if size is not None:
            assert dm.stats[f"{split}_size"] == size


def test_parquet_files_given_explicitly(tmp_path):
    import pandas as pd

    pd.DataFrame(make_rows(60)).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame(make_rows(9, seed=4)).to_parquet(tmp_path / "b.parquet")
    dm = TextDataModule(files={"train": tmp_path / "a.parquet", "test": tmp_path / "b.parquet"})
    dm.setup()
    assert dm.stats["test_size"] == 9 and dm.stats["validation_size"] == 6


def test_hub_source_offline_says_what_to_pass_instead():
    with pytest.raises(ValueError, match=r"data.hub_id='SetFit/bbc-news' needs the network.*data.root"):
        TextDataModule(hub_id="SetFit/bbc-news").setup()


def test_changing_a_source_file_rebuilds_the_cache(text_root):
    TextDataModule(root=text_root).setup()
    write_csv(text_root / "test.csv", make_rows(12, seed=3))
    dm = TextDataModule(root=text_root)
    dm.setup()
    assert dm.stats["test_size"] == 12


def write_tsv(path, rows):
    path.write_text("text\tlabel\n" + "".join(f"{text}\t{label}\n" for text, label in rows))
    return path


def test_a_tsv_keeps_every_row_whatever_its_quotes(tmp_path):
    """An unclosed quote and a later quoted word once merged 300 rows into one under CSV quoting."""
    rows = [(f"question {i} about {'sport' if i % 2 else 'food'} ?", "sport" if i % 2 else "food")
            for i in range(300)]
    rows[5] = ('"an unclosed quote starts this one ?', "food")
    rows[200] = ('he said "hello" in this one ?', "sport")
    write_tsv(tmp_path / "train.tsv", rows)
    data = TextDataModule(root=tmp_path, cache_dir=str(tmp_path / "cache"))
    data.setup("fit")
    sizes = data.stats
    assert sizes["train_size"] + sizes["validation_size"] + sizes["test_size"] == 300
    everything = [text for split in data.splits.values() for text in split["text"]]
    assert {'"an unclosed quote starts this one ?', 'he said "hello" in this one ?'} <= set(everything)


def test_a_tab_inside_a_tsv_text_is_refused_naming_the_line(tmp_path):
    rows = [(f"question {i} ?", "food" if i % 2 else "sport") for i in range(40)]
    rows[0] = ("a text\twith a tab ?", "food")
    write_tsv(tmp_path / "train.tsv", rows)
    with pytest.raises(ValueError, match=r"train.tsv, line 2: 3 fields where the header has 2 \(a tab"):
        TextDataModule(root=tmp_path, cache_dir=str(tmp_path / "cache")).setup("fit")


def test_a_csv_whose_quote_never_closes_is_refused(tmp_path):
    rows = make_rows(40)
    rows[3]["text"] = "placeholder"
    path = write_csv(tmp_path / "train.csv", rows)
    path.write_text(path.read_text().replace("placeholder", '"never closed'))
    with pytest.raises(ValueError, match=r"train.csv"):
        TextDataModule(root=tmp_path, cache_dir=str(tmp_path / "cache")).setup("fit")


def text_error(tmp_path, name: str, content: bytes | str) -> str:
    """The one-line error of a TextDataModule reading `content` as its train file `name`."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueError) as info:
        TextDataModule(root=tmp_path, cache_dir=str(tmp_path / "cache")).setup("fit")
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name, content, expected", [
    ("train.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": null}\n',
     r"train.jsonl: 1 row\(s\) without a label in column 'label', first at row 1"),
    ("train.csv", "text,label\ngoal match,sport\nchip code,\n",
     r"train.csv: 1 row\(s\) without a label in column 'label', first at row 1"),
    ("train.csv", "text,label\n  ,sport\n\t,tech\n",
     r"every text of .*train.csv \(2\) is empty or whitespace-only; is data.text_column='text'"),
    ("train.csv", "text,label\n", r"train.csv holds no rows \(only a header\)"),
    ("train.csv", "text,label\ncaf\xe9,food\n".encode("latin-1"),
     r"train.csv is not UTF-8 text \(byte 14: invalid continuation byte\); save it as UTF-8"),
    ("train.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": \n',
     r"train.jsonl, line 2: not a JSON object"),
])
def test_bad_text_files_get_one_line_naming_file_and_row(tmp_path, name, content, expected):
    assert re.search(expected, text_error(tmp_path, name, content))


def test_a_class_too_rare_to_stratify_is_named(tmp_path):
    rows = make_rows(30) + [{"text": "the only weather text", "label": "weather"}]
    write_csv(tmp_path / "train.csv", rows)
    message = text_error(tmp_path, "train.csv", (tmp_path / "train.csv").read_text())
    assert re.search(r"cannot carve a stratified test split out of the training rows: class\(es\) "
                     r"\['weather \(1\)'\] have too few rows", message)


def test_split_files_may_differ_in_columns_they_do_not_use(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(60, seed=1))
    write_csv(tmp_path / "test.csv", [{**r, "source": "web"} for r in make_rows(20, seed=2)],
              fields=("text", "label", "source"))
    data = TextDataModule(root=tmp_path, cache_dir=str(tmp_path / "cache"))
    data.setup("fit")
    assert data.stats["test_size"] == 20 and data.splits["test"].column_names[:2] == ["text", "label"]


def test_cross_validation_folds_partition_training_and_leave_the_test_split_alone(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(90, seed=1))
    write_csv(tmp_path / "validation.csv", make_rows(15, seed=3))
    write_csv(tmp_path / "test.csv", make_rows(30, seed=2))
    test_texts = {r["text"] for r in make_rows(30, seed=2)}
    held_out, trained = [], []
    for fold in range(3):
        data = TextDataModule(root=tmp_path, cache_dir=str(tmp_path / "cache"), cv_folds=3, cv_fold=fold,
                              drop_overlap=False)
        data.setup("fit")
        held_out.append(set(data.splits["test"]["text"]))
        trained.append(set(data.splits["train"]["text"]))
        assert not held_out[-1] & trained[-1] and not held_out[-1] & test_texts
        labels = data.splits["test"]["label"]
        assert sorted(set(labels)) == [0, 1, 2] and max(labels.count(c) for c in range(3)) <= 11  # stratified
    everything = {r["text"] for r in make_rows(90, seed=1)}
    assert set().union(*held_out) == everything and sum(map(len, held_out)) == 90  # each row held out once


def test_a_fold_outside_the_folds_is_refused():
    with pytest.raises(ValueError, match=r"data.cv_fold=3 must be in \[0, 3\) \(data.cv_folds\)"):
        TextDataModule(builtin="bbc_news", cv_folds=3, cv_fold=3)
    with pytest.raises(ValueError, match=r"data.cv_folds=1 must be a positive int \(>= 2 folds\)"):
        TextDataModule(builtin="bbc_news", cv_folds=1)
