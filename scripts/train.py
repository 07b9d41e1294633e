"""Train one run: `python scripts/train.py task=text data=trec data.root=... encoder=rnn seed=1`."""

import sys

import hydra
from hydra.errors import InstantiationException
from omegaconf import DictConfig

from seqtasks.config import CONFIG_DIR, check_choices
from seqtasks.train import train


@hydra.main(config_path=str(CONFIG_DIR), config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        train(cfg)
    except InstantiationException as e:  # a constructor refused a config value
        sys.exit(f"error: {e.__cause__ or e}")
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    try:
        check_choices(sys.argv[1:])
    except ValueError as e:
        sys.exit(f"error: {e}")
    main()
