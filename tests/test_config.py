import pytest
from hydra.utils import instantiate

from seqtasks.config import group_options, load_config


def test_bbc_news_recipe_shortens_the_schedule_and_overrides_win():
    assert load_config([]).trainer.max_epochs == 6
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


def test_data_presets_mirror_the_datamodule_constructor():
    import inspect

    from hydra.utils import get_class

    for data in group_options("data"):
        cfg = load_config([f"data={data}"]).data
        params = set(inspect.signature(get_class(cfg._target_)).parameters)
        assert set(cfg) - {"_target_"} == params, data
