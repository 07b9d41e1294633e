"""The package as a user installs it: the wheel holds the config tree, and a wheel installed in a
fresh virtualenv outside the clone trains, evaluates, predicts and compares from an empty folder
with the `seqtasks` command (the dependencies are borrowed from this environment; seqtasks itself
comes from the wheel)."""

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import make_rows, write_csv, write_tone_digits

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # builds a wheel, starts processes


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out)], check=True, capture_output=True)
    (found,) = out.glob("seqtasks-*.whl")
    return found


def test_the_wheel_holds_every_config_file_and_the_license(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tree = {str(p.relative_to(ROOT)) for p in (ROOT / "seqtasks" / "configs").rglob("*.yaml")}
    assert len(tree) > 30 and tree <= names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert any(n.endswith("entry_points.txt") for n in names)


def run(command: list, **kwargs) -> str:
    """stdout of a command that must succeed; its stderr's end in the failure message otherwise."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_installed_wheel_works_from_an_empty_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # this env's dependencies
    # --ignore-installed: the borrowed site-packages hold this clone's editable install's metadata
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         "--no-deps", "--ignore-installed", str(wheel)])
    data, work = tmp_path / "texts", tmp_path / "work"
    data.mkdir(), work.mkdir()
    write_csv(data / "train.csv", make_rows(60, seed=1))
    write_csv(data / "test.csv", make_rows(24, seed=2))
    env = {**os.environ, "SEQTASKS_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1",
           "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}

    def seqtasks(*args: str) -> str:
        return run([venv / "bin" / "seqtasks", *args], cwd=work, env=env)

    where = run([python, "-c", "import seqtasks; print(seqtasks.__file__)"], cwd=work, env=env)
    assert where.startswith(str(venv))  # not the clone
    small = ["data=files", f"data.root={data}", "trainer=cpu", "trainer.max_epochs=1",
             "encoder.hidden_size=8", "task.embedding_dim=8"]
    for name, seed in (("a", 0), ("b", 1)):
        seqtasks("train", *small, f"output_dir=runs/{name}", f"seed={seed}")
    assert "report: " in seqtasks("evaluate", "run=runs/a", "resamples=50")
    records = [json.loads(line) for line in seqtasks("predict", "ckpt=runs/a/checkpoints/best.ckpt",
                                                     "inputs=[goal match,chip code]").splitlines()]
    assert [r["input"] for r in records] == ["goal match", "chip code"]
    assert "report: " in seqtasks("compare", "runs/a", "runs/b", "out=runs/compare")
    assert (work / "runs" / "compare" / "report.html").is_file()
    tones = write_tone_digits(tmp_path / "tones", takes=2)
    made = seqtasks("recordings", f"root={tones}", "speakers=[carol]", "out=calls", "count=2")
    assert "recordings: " in made
    assert len(json.loads((work / "calls" / "manifest.json").read_text())["recordings"]) == 2
