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
