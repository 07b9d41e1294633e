"""`seqtasks reproduce`: the named experiments run over seeds, finished runs of the same overrides,
threads and commit are reused, and docs/results.md is written from the run directories."""

import json
from pathlib import Path

import pytest

from seqtasks.cli import main as seqtasks_main
from seqtasks.results import EXPERIMENTS, results_markdown, select
from seqtasks.results import runner as reproduce_module
from seqtasks.results.experiments import Experiment
from seqtasks.results.runner import RECORD, plan, reproduce, state
from seqtasks.runtime.environment import library_versions, locked_versions
from tests.conftest import make_rows, write_csv

COMMIT = "abc1234"
LOSO = Experiment(
    "loso",
    "toy speakers",
    ("task=digits", "data.root={data}/fsdd"),
    seeds=(0, 1),
    variants={"ann": "data.test_speakers=[ann]", "bob": "data.test_speakers=[bob]"},
)


def fake_finished(run, accuracy: float, commit: str = COMMIT, versions=None, wall: float = 10.0) -> None:
    """A run directory as a finished `seqtasks train` leaves it, with the reproduce record."""
    run.run_dir.mkdir(parents=True)
    (run.run_dir / "metrics.json").write_text(json.dumps({"test/acc": accuracy, "train_seconds": 8.0}))
    (run.run_dir / "run_info.json").write_text(
        json.dumps(
            {
                "versions": versions or library_versions(),
                "hardware": {"cpu": "Toy CPU", "cpu_count": 2, "gpu": "none"},
            }
        )
    )
    (run.run_dir / RECORD).write_text(
        json.dumps(
            {
                "key": run.key,
                "commit": commit,
                "wall_seconds": wall,
                "command": "seqtasks train " + " ".join(run.overrides),
            }
        )
    )


def test_a_plan_crosses_variants_with_seeds_and_fills_in_the_data_root(tmp_path):
    runs = plan(LOSO, tmp_path / "runs", Path("/data"))
    assert [r.run_dir.name for r in runs] == ["ann_seed0", "ann_seed1", "bob_seed0", "bob_seed1"]
    assert runs[1].overrides == ("task=digits", "data.root=/data/fsdd", "data.test_speakers=[ann]", "seed=1")
    assert [r.run_dir.name for r in plan(LOSO, tmp_path, Path("/d"), seeds=[7])] == ["ann_seed7", "bob_seed7"]


def test_a_finished_run_is_reused_only_with_the_same_overrides_threads_and_clean_commit(tmp_path):
    run = plan(LOSO, tmp_path, Path("/data"))[0]
    assert state(run, COMMIT) == "new"
    fake_finished(run, 0.9)
    assert state(run, COMMIT) == "done"
    assert state(run, "def5678") == "stale"
    assert state(run, COMMIT + "+dirty") == "stale"
    assert state(plan(LOSO, tmp_path, Path("/elsewhere"))[0], COMMIT) == "stale"  # another data root
    (run.run_dir / "metrics.json").unlink()
    assert state(run, COMMIT) == "stale"  # unfinished and nothing to continue from
    (run.run_dir / "checkpoints").mkdir()
    (run.run_dir / "checkpoints" / "last.ckpt").write_bytes(b"")
    assert state(run, COMMIT) == "resume"


def test_reproduce_trains_only_what_is_missing_and_skips_rows_without_their_data(tmp_path, monkeypatch):
    (tmp_path / "data" / "fsdd").mkdir(parents=True)
    runs = plan(LOSO, tmp_path / "runs", tmp_path / "data")
    fake_finished(runs[0], 0.9)
    fake_finished(runs[1], 0.9, commit="old0000")
    trained = []
    monkeypatch.setattr(reproduce_module, "git_commit", lambda: COMMIT)
    monkeypatch.setattr(
        reproduce_module, "execute", lambda run, commit, resume: trained.append(run.run_dir.name) or 1.0
    )
    absent = Experiment("absent", "nowhere", ("data.root={data}/missing",))
    lines = []
    skipped = reproduce([LOSO, absent], tmp_path / "runs", tmp_path / "data", log=lines.append)
    assert trained == ["ann_seed1", "bob_seed0", "bob_seed1"]
    assert not runs[1].run_dir.exists()  # the run of another commit was removed before its rerun
    assert skipped == {"absent": f"{tmp_path}/data/missing not found"}
    assert any(line.endswith("ann_seed0: reused (same overrides, threads and commit)") for line in lines)


def test_results_markdown_has_mean_spread_best_worst_and_provenance(tmp_path):
    root = tmp_path / "runs"
    runs = plan(LOSO, root, Path("/data"))
    for run, accuracy in zip(runs[:3], (0.90, 0.80, 0.70), strict=True):
        fake_finished(
            run, accuracy, versions={**library_versions(), "torch": "1.0.0"} if accuracy == 0.7 else None
        )
    text = results_markdown([LOSO], root, Path("/data"), "seqtasks reproduce --only loso")
    measured = next(line for line in text.splitlines() if line.startswith("| loso | toy speakers"))
    cells = [c.strip() for c in measured.strip("|").split("|")]
    assert cells[4:8] == ["**80.00** ± 10.00", "3", "90.00 (ann_seed0)", "70.00 (bob_seed0)"]
    provenance = next(line for line in text.splitlines() if line.startswith("| loso | `seqtasks train"))
    assert COMMIT in provenance and f"torch 1.0.0 (lock {locked_versions()['torch']})" in provenance
    assert "Toy CPU, 2 cores" in provenance
    assert "| loso | 3 of 4 | not run yet | `seqtasks reproduce --only loso` |" in text
    assert "by the command below" in text and "\n    seqtasks reproduce --only loso\n" in text


def test_runs_of_other_seeds_join_their_row_and_runs_made_otherwise_do_not(tmp_path):
    root = tmp_path / "runs"
    fake_finished(plan(LOSO, root, Path("/data"), seeds=[5])[0], 0.5)
    fake_finished(plan(LOSO, root, Path("/other"), seeds=[6])[0], 0.1)
    text = results_markdown([LOSO], root, Path("/data"), "seqtasks reproduce")
    assert "| **50.00** | 1 | 50.00 (ann_seed5) |" in text.replace(" toy speakers | lstm | test/acc", "")


def test_a_seed_by_seed_table_sets_thread_counts_side_by_side(tmp_path):
    one = Experiment("one", "toy", threads=1, seeds=(0, 1), compare_with="two")
    two = Experiment("two", "toy", threads=2, seeds=(0, 1))
    for experiment, values in ((one, (0.97, 0.96)), (two, (0.95, 0.96))):
        for run, accuracy in zip(plan(experiment, tmp_path, Path(".")), values, strict=True):
            fake_finished(run, accuracy)
    text = results_markdown([one, two], tmp_path, Path("."), "seqtasks reproduce")
    assert "| seed0 | 97.00 | 95.00 | 2.00 |" in text and "| seed1 | 96.00 | 96.00 | 0.00 |" in text


def test_the_adding_section_says_whether_and_when_each_run_got_under_the_target(tmp_path):
    adding = Experiment("adding", "toy", ("task=memory", "encoder=indrnn"), metric="test/mse", seeds=(0, 1))
    curves = ((0.2, 0.009), (0.2, 0.1))  # val/mse per epoch: seed 0 gets under 0.01 in epoch 2
    for run, test_mse, val_mse in zip(plan(adding, tmp_path, Path(".")), (0.001, 0.1), curves, strict=True):
        fake_finished(run, 0.0)
        (run.run_dir / "metrics.json").write_text(json.dumps(
            {"test/mse": test_mse, "data/seq_len": 1000, "data/baseline_mse": 0.1667, "train_seconds": 90.0}))
        (run.run_dir / "metrics.csv").write_text(  # as Lightning's CSVLogger writes it
            "epoch,step,train/loss,train/seconds,val/mse\n"
            f"0,9,0.3,,{val_mse[0]}\n0,9,,40.5,\n1,19,0.2,,{val_mse[1]}\n1,19,,80.2,\n")
    text = results_markdown([adding], tmp_path, Path("."), "seqtasks reproduce")
    assert "| adding | 1000 | indrnn | seed0 | 0.0010 | 0.1667 | yes | epoch 2, 80 s | 2 | 90 |" in text
    assert "| adding | 1000 | indrnn | seed1 | 0.1000 | 0.1667 | no | - | 2 | 90 |" in text


def test_every_experiment_composes_and_names_are_unique():
    from seqtasks.config.compose import load_config

    assert len({e.name for e in EXPERIMENTS}) == len(EXPERIMENTS)
    for experiment in EXPERIMENTS:
        (run,) = plan(experiment, Path("runs"), Path("/data"), seeds=[0])[:1]
        cfg = load_config(list(run.overrides))
        assert cfg.seed == 0 and cfg.encoder._target_.lower().endswith(f"{experiment.encoder}encoder")


def test_unknown_experiments_and_missing_out_folders_are_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown experiment 'bbc'; choose from: bbc_lstm_2threads"):
        select(["bbc"])
    with pytest.raises(SystemExit):
        seqtasks_main(["reproduce", "--only", "bbc"])
    assert "unknown experiment(s) ['bbc']; choose from: bbc_lstm_2threads" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        seqtasks_main(["reproduce", "--write-only", "--out", str(tmp_path / "no" / "results.md")])
    assert f"--out: folder {tmp_path / 'no'} does not exist" in capsys.readouterr().err


def test_a_page_of_selected_experiments_lists_those_alone(tmp_path):
    page, whole = tmp_path / "adding.md", tmp_path / "results.md"
    common = ["reproduce", "--write-only", "--runs", str(tmp_path / "runs"), "--only", "adding_t100_lstm"]
    seqtasks_main([*common, "--selected-only", "--out", str(page), "--title", "The adding problem"])
    seqtasks_main([*common, "--out", str(whole)])
    assert page.read_text().startswith("# The adding problem\n")
    assert whole.read_text().startswith("# Results\n")
    assert "| adding_t100_lstm | 0 of 1 | not run yet |" in page.read_text()
    assert "bbc_lstm_2threads" not in page.read_text() and "bbc_lstm_2threads" in whole.read_text()
    assert "| adding problem, any T | predict the mean" in page.read_text()  # its task's references only
    assert "| BBC News |" not in page.read_text() and "| BBC News |" in whole.read_text()


def test_a_selected_page_needs_the_selection_and_its_own_file(tmp_path, capsys):
    for argv in (["--out", str(tmp_path / "page.md")], ["--only", "adding_t100_lstm"]):
        with pytest.raises(SystemExit):
            seqtasks_main(["reproduce", "--write-only", "--selected-only", *argv])
        assert "--selected-only writes a page of the --only experiments" in capsys.readouterr().err


@pytest.mark.slow
def test_reproduce_trains_for_real_then_reuses(tmp_path, monkeypatch):
    """Two real child processes for a toy experiment; the second reproduce trains nothing."""
    root = tmp_path / "data" / "toy"
    root.mkdir(parents=True)
    write_csv(root / "train.csv", make_rows(60, seed=1))
    write_csv(root / "test.csv", make_rows(24, seed=2))
    toy = Experiment(
        "toy",
        "toy texts",
        (
            "data=files",
            "data.root={data}/toy",
            "trainer=cpu",
            "trainer.max_epochs=1",
            "encoder.hidden_size=8",
            "task.embedding_dim=8",
        ),
        seeds=(0,),
        threads=1,
    )
    monkeypatch.setattr(reproduce_module, "git_commit", lambda: COMMIT)
    reproduce([toy], tmp_path / "runs", tmp_path / "data", log=lambda m: None)
    metrics = tmp_path / "runs" / "toy" / "seed0" / "metrics.json"
    made = metrics.stat().st_mtime_ns
    lines = []
    reproduce([toy], tmp_path / "runs", tmp_path / "data", log=lines.append)
    assert metrics.stat().st_mtime_ns == made and "reused" in lines[0]
    record = json.loads((metrics.parent / RECORD).read_text())
    assert record["wall_seconds"] > 0 and record["key"]["threads"] == 1
