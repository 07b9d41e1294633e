"""The command line as Hydra and Lightning users expect it: Hydra's own flags on train, the
`seqtasks` command with subcommands (and `python -m seqtasks`), smoke runs, callbacks from config,
one readable line per epoch without a terminal, and the Python API of the README."""

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

import seqtasks
from seqtasks.cli import main as seqtasks_main
from tests.conftest import run_script, script_error, tiny_config

TOY = ("trainer=cpu", "encoder.hidden_size=8", "task.embedding_dim=8", "data.batch_size=16")


@pytest.mark.parametrize("flags, expected", [
    (["--cfg", "job"], "_target_: seqtasks.encoders.LSTMEncoder"),
    (["--cfg=job", "encoder=gru"], "_target_: seqtasks.encoders.GRUEncoder"),
    (["--info", "defaults"], "Defaults List"),
    (["-sc", "install=bash"], "hydra_bash_completion()"),
    (["--help"], "== Configuration groups =="),
    (["--hydra-help"], "Hydra (1."),
])
def test_hydras_own_flags_work_on_train(monkeypatch, capsys, flags, expected):
    try:
        run_script(monkeypatch, "train.py", *flags)
    except SystemExit as e:  # Hydra ends --help and --hydra-help with exit status 0
        assert e.code in (0, None)
    assert expected in capsys.readouterr().out


def test_a_bad_override_is_still_one_line_beside_hydra_flags(monkeypatch):
    message = script_error(monkeypatch, "train.py", "--cfg", "job", "encoder.hidden=3")
    assert message.startswith("error: unknown key encoder.hidden; encoder has: hidden_size")


def test_fast_dev_run_runs_to_the_end_and_says_it_was_a_smoke_run(text_root, tmp_path, monkeypatch):
    run_dir = tmp_path / "smoke"
    run_script(monkeypatch, "train.py", "data=files", f"data.root={text_root}", *TOY,
               f"output_dir={run_dir}", "+trainer.fast_dev_run=true")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert "test/acc" in metrics and metrics["best_epoch"] == -1  # no checkpoint is saved
    assert json.loads((run_dir / "run_info.json").read_text())["smoke_run"] == "trainer.fast_dev_run=True"


def test_early_stopping_from_the_callbacks_group_stops_the_run(text_root, tmp_path):
    """min_delta=10 means no epoch ever improves enough: with patience 1 it stops after 2 of 30."""
    run_dir = tmp_path / "run"
    seqtasks.train(tiny_config(text_root, run_dir, "trainer.max_epochs=30", "callbacks=[early_stopping]",
                               "callbacks.early_stopping.min_delta=10",
                               "callbacks.early_stopping.patience=1"))
    rows = (run_dir / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    epochs = {int(r.split(",")[header.index("epoch")]) for r in rows[1:]
              if r.split(",")[header.index("train/loss")]}
    assert epochs == {0, 1}


def test_without_a_terminal_each_epoch_gets_one_line(text_root, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="seqtasks.training.callbacks"):
        seqtasks.train(tiny_config(text_root, tmp_path / "run", "trainer.max_epochs=2"))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/2: train/loss ") and "val/acc " in lines[0] and "(best " in lines[0]
    assert " left" in lines[0] and " left" not in lines[1]  # no time left after the last epoch


def test_the_seqtasks_command_lists_its_subcommands(capsys):
    with pytest.raises(SystemExit) as info:
        seqtasks_main(["--help"])
    assert info.value.code == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:-1]]
    assert listed == ["train", "evaluate", "predict", "export", "compare", "summarize", "benchmark",
                      "recordings", "data", "reproduce"]
    with pytest.raises(SystemExit, match="error: unknown command 'fit'; choose from: train, evaluate"):
        seqtasks_main(["fit"])


def test_subcommands_are_the_scripts(tiny_run, tmp_path, capsys):
    seqtasks_main(["predict", f"ckpt={tiny_run}/checkpoints/best.ckpt", "inputs=[goal match,chip code]"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["input"] for r in records] == ["goal match", "chip code"]
    seqtasks_main(["summarize", str(tiny_run)])
    assert "test/acc" in capsys.readouterr().out


@pytest.mark.slow
def test_python_dash_m_seqtasks_starts_the_same_command():
    done = subprocess.run([sys.executable, "-m", "seqtasks", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"seqtasks {seqtasks.__version__}"


def readme_python_example() -> str:
    """The one ```python block of README.md."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return block


def test_the_readme_example_runs_as_written(text_root, tmp_path, monkeypatch):
    """README.md's Python example, executed as written on the toy data (`my_texts` -> the toy folder,
    and the toy's small sizes added to its overrides)."""
    monkeypatch.chdir(tmp_path)
    code = readme_python_example().replace('"data.root=my_texts"', f'"data.root={text_root}", ' +
                                           ", ".join(f'"{o}"' for o in TOY))
    assert f"data.root={text_root}" in code and len(code.strip().splitlines()) == 5
    scope = {}
    exec(code, scope)  # noqa: S102 - the README's own lines
    run_dir = Path(scope["cfg"].output_dir)
    assert scope["metrics"] == json.loads((run_dir / "metrics.json").read_text())
    assert (run_dir / "report" / "report.html").is_file()


def test_an_output_dir_that_is_a_file_is_one_line_before_hydra_makes_it(tmp_path, monkeypatch):
    (tmp_path / "taken").write_text("x")
    message = script_error(monkeypatch, "train.py", f"output_dir={tmp_path}/taken")
    assert message == f"error: output_dir={tmp_path}/taken is a file; give a folder for the run"
    message = script_error(monkeypatch, "train.py", f"output_dir={tmp_path}/taken/run")
    assert message.startswith(f"error: output_dir={tmp_path}/taken/run cannot be made")


def test_a_run_refused_for_its_data_leaves_no_run_directory(tmp_path, monkeypatch):
    """Hydra makes the job's directory (.hydra/, train.log) before main; a run refused on its data
    writes nothing of its own and that directory goes too."""
    run_dir = tmp_path / "run"
    message = script_error(monkeypatch, "train.py", "data=files", f"data.root={tmp_path}/nowhere", *TOY,
                           f"output_dir={run_dir}")
    assert message.startswith("error: data.root=") and not run_dir.exists()
