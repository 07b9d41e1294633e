"""Property test of the text readers: any texts (quotes, commas, tabs, newlines, non-ASCII) written
with the csv or json module come back from TextDataModule with the same rows and the same strings."""

import csv
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqtasks.data import TextDataModule

ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters='"\',\t\n;é中')
TEXTS = st.text(ALPHABET, min_size=1, max_size=40).filter(lambda t: t.strip())  # empty texts are dropped
TEXT_LISTS = st.lists(TEXTS, min_size=24, max_size=40, unique=True)


def write(folder, rows, kind: str) -> None:
    if kind == "csv":
        with open(folder / "train.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows(rows)
    else:
        lines = (json.dumps({"text": t, "label": y}, ensure_ascii=False) + "\n" for t, y in rows)
        (folder / "train.jsonl").write_text("".join(lines), encoding="utf-8")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=TEXT_LISTS, kind=st.sampled_from(["csv", "jsonl"]))
def test_texts_round_trip_with_the_same_rows_and_strings(tmp_path_factory, texts, kind):
    """Found on its first run: "00" and "000000" in a CSV came back as "0" (pandas read the column
    as numbers); CSV cells are now read as strings."""
    rows = [(text, ("neg", "pos")[i % 2]) for i, text in enumerate(texts)]  # 12+ rows of each class
    folder = tmp_path_factory.mktemp("texts")
    write(folder, rows, kind)
    data = TextDataModule(root=folder, cache_dir=str(folder / "cache"), drop_overlap=False)
    data.setup("fit")
    read = sorted(text for split in data.splits.values() for text in split["text"])
    assert read == sorted(text for text, _ in rows)
