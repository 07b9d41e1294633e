"""The lock (seqtasks/constraints.txt): exact versions behind the published figures, used by make,
inside pyproject's ranges, and a report says when a run was trained off it."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from seqtasks.reports.document import Table, Text
from seqtasks.reports.sections import versions_blocks
from seqtasks.runtime.environment import locked_versions, versions_off_lock

ROOT = Path(__file__).resolve().parents[1]


def project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in project["dependencies"] + extras if not r.startswith("seqtasks")]


def test_the_lock_pins_every_dependency_inside_its_range():
    lock = locked_versions()
    pinned = {r.name: lock.get(r.name.lower(), "missing") for r in project_requirements()}
    outside = [f"{r.name} {pinned[r.name]} vs {r.specifier}" for r in project_requirements()
               if not r.specifier.contains(pinned[r.name].replace("missing", "0.0.0.dev0"), prereleases=True)]
    assert outside == []


def test_make_installs_with_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^LOCK\s*:=\s*seqtasks/constraints.txt$", makefile, re.M)
    assert "pip install -q -c $(LOCK) -e '.[dev]'" in makefile


def test_names_are_compared_the_way_pip_spells_them():
    lock = locked_versions()
    run = {"torch": lock["torch"], "PyTorch_Lightning": "0.0.1", "not-a-locked-library": "1.0"}
    assert versions_off_lock(run) == {"PyTorch_Lightning": ("0.0.1", lock["pytorch-lightning"])}


def test_a_report_warns_when_the_run_was_trained_off_the_lock():
    lock = locked_versions()
    on_lock, off_lock = versions_blocks({"torch": lock["torch"]}), versions_blocks({"torch": "1.0.0"})
    assert [type(b) for b in on_lock] == [Table]
    assert isinstance(off_lock[0], Text) and f"torch 1.0.0 (lock {lock['torch']})" in off_lock[0].text
    torch_row = next(row for row in off_lock[1].rows if row[0] == "torch")
    assert torch_row[1] == "1.0.0" and torch_row[3] == lock["torch"]
