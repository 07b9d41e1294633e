import pytest
from hydra.utils import instantiate

from seqtasks.config.compose import group_options, load_config


def test_bbc_news_recipe_sets_its_schedule_and_overrides_win():
    assert load_config([]).trainer.max_epochs == 8
    assert load_config(["data=trec", "data.root=x"]).trainer.max_epochs == 10
    assert load_config(["trainer.max_epochs=3"]).trainer.max_epochs == 3


@pytest.mark.parametrize("encoder", group_options("encoder"))
def test_every_encoder_config_builds_from_the_task_size(encoder):
    cfg = load_config([f"encoder={encoder}"])
    built = instantiate(cfg.encoder)(input_size=cfg.task.embedding_dim)
    assert built.output_dim == 2 * cfg.encoder.hidden_size  # bidirectional by default


@pytest.mark.parametrize("trainer", group_options("trainer"))
def test_every_trainer_config_composes_with_clipping(trainer):
    cfg = load_config([f"trainer={trainer}"])
    assert cfg.trainer.gradient_clip_val == 1.0


@pytest.mark.parametrize("data", group_options("data"))
def test_data_presets_mirror_their_datamodule_constructor(data):
    import inspect

    from hydra.utils import get_class

    cfg = load_config([f"data={data}"]).data
    params = set(inspect.signature(get_class(cfg._target_)).parameters)
    assert set(cfg) - {"_target_"} == params


@pytest.mark.parametrize("task", group_options("task"))
def test_task_presets_name_only_constructor_arguments(task):
    import inspect

    from hydra.utils import get_class

    cfg = load_config([f"task={task}"]).task
    params = set(inspect.signature(get_class(cfg._target_)).parameters)
    assert set(cfg) - {"_target_"} <= params  # the rest (sizes, encoder) come from data and encoder


@pytest.mark.parametrize("task, data", [("text", "bbc_news"), ("forecast", "co2"), ("memory", "adding")])
def test_each_task_brings_its_offline_default_data_and_data_overrides_win(task, data):

    assert load_config([f"task={task}"]).data == load_config([f"task={task}", f"data={data}"]).data
    assert load_config(["task=forecast", "data=etth1", "data.path=x.csv"]).data.split == "ett_hourly"


def test_sst2_recipe_shrinks_only_its_own_embedding():
    assert load_config(["data=sst2", "data.root=x"]).task.embedding_dim == 128
    assert load_config(["data=trec", "data.root=x"]).task.embedding_dim == 300


@pytest.mark.parametrize("overrides, eps", [
    (["data=sst2"], 5.0), (["data=sst2", "encoder=rnn"], 0.0), (["data=sst2", "encoder=gru"], 0.0),
    (["data=trec"], 0.0), (["data=sst2", "task.adversarial_eps=1"], 1.0)])
def test_adversarial_training_is_tuned_for_the_sst2_lstm_alone(overrides, eps):
    assert load_config([*overrides, "data.root=x"]).task.adversarial_eps == eps


def test_memory_recipe_makes_every_encoder_one_directional():
    for encoder in ("rnn", "lstm"):
        assert load_config(["task=memory", f"encoder={encoder}"]).encoder.bidirectional is False


def test_leave_one_speaker_out_preset_validates_on_synthesized_voices_and_keeps_the_augment_defaults():
    cfg = load_config(["task=digits", "data=fsdd_loso", "data.test_speakers=[george]"])
    data = cfg.data
    assert cfg.trainer.max_epochs == 15  # recipe/fsdd_loso.yaml
    assert (data.source, data.test_speakers, data.speaker_norm) == ("fsdd", ["george"], True)
    assert data.val_source == data.extra_train_source == "tts_digits" and data.val_speakers is None
    assert (data.augment.time_mask, data.augment.speed) == (8, [])  # merged over audio.yaml's block


def test_sst2_eps_search_is_a_grid_over_eps_scored_by_mean_cross_validation():
    from hydra import compose, initialize_config_dir

    from seqtasks.config.compose import CONFIG_DIR

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("train", ["hparams_search=sst2_eps", "data.root=x"], return_hydra_config=True)
    assert cfg.hydra.sweeper._target_.endswith("OptunaSweeper")
    assert cfg.hydra.sweeper.sampler._target_ == "optuna.samplers.GridSampler"
    assert cfg.hydra.sweeper.direction == "maximize"
    assert cfg.hydra.sweeper.params == {"task.adversarial_eps": "choice(0.0, 2.0, 5.0, 10.0)"}
    assert (cfg.optimized_metric, cfg.data.cv_folds, cfg.data.cv_fold) == ("cv/acc", 5, "all")
    assert cfg.data._target_.endswith("TextDataModule") and cfg.data.max_length == 64  # data=sst2
    assert cfg.task.embedding_dim == 128  # the SST-2 recipe still applies


def test_a_sweep_may_not_choose_on_the_test_split():
    from seqtasks.config.checks import check_config

    with pytest.raises(ValueError, match=r"optimized_metric=test/acc would choose settings on the test "
                                         r"split; use val/acc or, with data.cv_folds, cv/acc"):
        check_config(load_config(["optimized_metric=test/acc"]))
    with pytest.raises(ValueError, match=r"optimized_metric=acc must name a val/\* or cv/\* metric"):
        check_config(load_config(["optimized_metric=acc"]))


def test_the_objective_is_the_named_metric_and_a_missing_one_is_named():
    from seqtasks.cli.train import objective

    assert objective({"cv/acc": 0.8, "train_seconds": 3.0}, "cv/acc") == 0.8
    assert objective({"cv/acc": 0.8}, None) is None
    with pytest.raises(ValueError, match=r"optimized_metric=val/mse is not among the run.s metrics "
                                         r"\(cv/acc\)"):
        objective({"cv/acc": 0.8, "params": 10}, "val/mse")
