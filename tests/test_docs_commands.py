"""Every training command in README.md and docs/ composes its config (as `--cfg job` would), so a
renamed option or config group breaks a test rather than a reader. docs/results.md is generated."""

import re
import shlex
from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from seqtasks.config.compose import load_config

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "results.md")]
COMMAND = re.compile(r"(?:python scripts/train\.py|seqtasks train)(?=\s|$|`)")
PLACEHOLDERS = {"T": "100", "H": "96"}  # data.seq_len=T, data.horizon=H in prose


def commands(page: Path) -> list[str]:
    """The training commands of a page: from code blocks (continuation lines joined, comments
    dropped) and inline code spans."""
    text = page.read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        for span in re.findall(r"`([^`]+)`", line) or [line]:
            match = COMMAND.search(span)
            if match:
                found.append(span[match.end():].split(" #", 1)[0].strip())
    return found


def overrides(words: str) -> list[str]:
    """The Hydra overrides of a command line: placeholders (`...`, T, H) filled or dropped, Hydra's
    own flags dropped, and each sweep (`-m encoder=rnn,lstm`) reduced to its first value."""
    tokens = [t for t in shlex.split(words) if t != "..." and not t.startswith("-")]
    tokens = [re.sub(r"=(T|H)$", lambda m: "=" + PLACEHOLDERS[m.group(1)], t) for t in tokens if "=" in t]
    parsed = OverridesParser.create().parse_overrides(tokens)
    return [f"{o.get_key_element()}={next(iter(o.sweep_string_iterator()))}" if o.is_sweep_override()
            else o.input_line for o in parsed]


CASES = [(page.name, line) for page in PAGES for line in commands(page)]


def test_the_pages_have_commands_to_check():
    assert len(CASES) > 30 and {"README.md", "configuration.md", "runs.md"} <= {page for page, _ in CASES}


@pytest.mark.parametrize("page, line", CASES, ids=[f"{p}: {c[:60]}" for p, c in CASES])
def test_each_documented_command_composes(page, line):
    load_config(overrides(line))


def test_a_misspelt_option_in_a_page_would_fail_its_test():
    with pytest.raises(Exception, match="Could not override 'data.text_colum'"):
        load_config(overrides("data=files data.root=my_folder data.text_colum=body   # a typo"))
