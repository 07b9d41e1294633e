"""End to end: the real Hydra config, shrunk to a toy dataset, trained for a few epochs."""

import csv
import json

import pytest
import torch

from seqtasks.config.compose import load_config
from seqtasks.training.train import train
from tests.conftest import tiny_config


def toy_config(text_root, run_dir, *overrides):
    return load_config([
        "data=files", f"data.root={text_root}", "trainer=cpu", "trainer.max_epochs=12",
        "data.batch_size=16",
        "encoder.hidden_size=16", "task.embedding_dim=16", "task.lr=0.02", f"output_dir={run_dir}",
        f"data.cache_dir={run_dir}_cache",  # module-scoped runs do not see the autouse cache fixture
        *overrides])


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    from tests.conftest import make_rows, write_csv

    root = tmp_path_factory.mktemp("toy")
    write_csv(root / "train.csv", make_rows(150, seed=1))
    write_csv(root / "test.csv", make_rows(30, seed=2))
    run_dir = root / "run"
    metrics = train(toy_config(root, run_dir))
    return run_dir, metrics


def test_run_directory_follows_the_contract(toy_run):
    run_dir, _ = toy_run
    for name in ("config.yaml", "metrics.csv", "metrics.json", "tokenizer.json", "labels.json",
                 "checkpoints/best.ckpt", "checkpoints/last.ckpt"):
        assert (run_dir / name).is_file(), name
    assert "seed: 0" in (run_dir / "config.yaml").read_text()  # resolved, not ${seed}
    assert "val/acc" in (run_dir / "metrics.csv").read_text().splitlines()[0]


def test_metrics_json_has_flat_stage_keys_and_learns(toy_run):
    run_dir, metrics = toy_run
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved == pytest.approx(metrics)
    for key in ("val/acc", "test/acc", "test/f1_macro", "test/loss", "train_seconds", "params",
                "data/train_duplicates_removed", "data/test_size"):
        assert key in saved, key
    assert round(saved["test/acc"], 4) >= 0.9  # a keyword gives each class away (27/30 in float32)
    assert saved["data/test_size"] == 30


def test_best_checkpoint_loads_safely_with_labels_vocab_and_config(toy_run):
    run_dir, metrics = toy_run
    ckpt = torch.load(run_dir / "checkpoints" / "best.ckpt", weights_only=True)
    assert ckpt["hyper_parameters"]["label_names"] == ["food", "sport", "tech"]
    assert ckpt["TextDataModule"]["label_names"] == ["food", "sport", "tech"]
    assert "goal" in json.loads(ckpt["TextDataModule"]["tokenizer"])["model"]["vocab"]
    assert ckpt["seqtasks_config"]["encoder"]["_target_"] == "seqtasks.encoders.LSTMEncoder"
    assert ckpt["epoch"] == metrics["best_epoch"]


@pytest.mark.parametrize("encoder", ["rnn", "gru"])
def test_other_encoders_train_through_the_same_config(text_root, tmp_path, encoder):
    metrics = train(toy_config(text_root, tmp_path / encoder, f"encoder={encoder}",
                               "trainer.max_epochs=2", "task.pooling=attention"))
    assert 0.0 <= metrics["test/acc"] <= 1.0 and metrics["params"] > 0


def test_ema_checkpoints_and_tests_the_averaged_weights(text_root, tmp_path):
    """ema_decay: best.ckpt holds the moving average of the weights (the raw weights beside it),
    and metrics.json's test figures are those of the average, as evaluating best.ckpt finds."""
    from seqtasks.reports import evaluate

    run_dir = tmp_path / "ema"
    metrics = train(toy_config(text_root, run_dir, "trainer.max_epochs=3", "ema_decay=0.8"))
    ckpt = torch.load(run_dir / "checkpoints" / "best.ckpt", weights_only=True)
    averaged, raw = ckpt["state_dict"], ckpt["current_model_state"]
    assert averaged.keys() == raw.keys()
    assert not torch.equal(averaged["head.1.weight"], raw["head.1.weight"])
    report = evaluate(run=run_dir, out=tmp_path / "report", resamples=10)
    evaluated = json.loads((report.parent / "metrics.json").read_text())
    assert evaluated["test/loss"] == pytest.approx(metrics["test/loss"], rel=1e-5)
    assert evaluated["test/acc"] == pytest.approx(metrics["test/acc"])


def test_metrics_csv_holds_one_row_set_per_epoch_trained_and_no_test(text_root, tmp_path):
    run_dir = tmp_path / "run"
    train(tiny_config(text_root, run_dir, "trainer.max_epochs=2"))
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {int(r["epoch"]) for r in rows if r["epoch"]} == {0, 1}
    assert not [name for name in rows[0] if name.startswith("test/")]
    assert sum(1 for r in rows if r["val/acc"]) == 2  # the best checkpoint's re-validation is not a row


def test_a_run_whose_metrics_are_not_finite_fails_and_writes_no_metrics_json(text_root, tmp_path):
    run_dir = tmp_path / "run"
    with pytest.raises(ValueError, match=r"the run's .* are not finite: training diverged; metrics.json is "
                                         r"not written"):
        train(tiny_config(text_root, run_dir, "task.lr=1e30", "trainer.gradient_clip_val=null"))
    assert not (run_dir / "metrics.json").exists()


def test_cross_validation_trains_every_fold_and_returns_their_mean(text_root, tmp_path):
    from seqtasks.reports import load_runs, summary_table

    mean = train(tiny_config(text_root, tmp_path / "cv", "data.cv_folds=3", "data.cv_fold=all"))
    folds = [json.loads((tmp_path / "cv" / f"fold{i}" / "metrics.json").read_text()) for i in range(3)]
    assert all("cv/acc" in m and not any(k.startswith("test/") for k in m) for m in folds)
    assert mean["cv/acc"] == pytest.approx(sum(m["cv/acc"] for m in folds) / 3)
    assert mean["cv/folds"] == 3 and mean["cv/acc_std"] >= 0
    written = json.loads((tmp_path / "cv" / "cross_validation.json").read_text())
    assert written["mean"] == mean and len(written["folds"]) == 3
    [row] = summary_table(load_runs([tmp_path / "cv"])).splitlines()[2:]  # the folds are one setup
    assert f"| 0 (3 folds) | {100 * mean['cv/acc']:.1f} ± " in row


def test_all_folds_needs_a_fold_count(text_root, tmp_path):
    with pytest.raises(ValueError, match=r"data.cv_fold=all needs data.cv_folds=K with K >= 2 folds; "
                                         r"got data.cv_folds=None"):
        train(tiny_config(text_root, tmp_path / "cv", "data.cv_fold=all"))