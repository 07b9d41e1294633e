"""Train one run: `python scripts/train.py task=text data=trec data.root=... encoder=rnn seed=1`,
or a sweep, one run directory per job: `python scripts/train.py -m encoder=rnn,lstm seed=1,2,3`."""

import sys

import hydra
from hydra.errors import InstantiationException
from omegaconf import DictConfig

from seqtasks.config import CONFIG_DIR, check_choices, job_output_dir
from seqtasks.train import train


@hydra.main(config_path=str(CONFIG_DIR), config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        cfg.output_dir = job_output_dir(cfg)  # multirun: each job its own directory
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
