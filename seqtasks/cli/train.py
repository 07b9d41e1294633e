"""`seqtasks train task=text data=trec data.root=... encoder=rnn seed=1`, or a sweep, one run
directory per job: `seqtasks train -m encoder=rnn,lstm seed=1,2,3`. Hydra's own flags work as Hydra
documents them (`--help`, `--cfg job`, `--info defaults`, `-sc install=bash`, `-m`). Bad
configuration stops before any data is read with one `error: ...` line; SIGINT or SIGTERM stops
training with a checkpoint and one `interrupted ...` line (exit status 128 + signal)."""

import importlib.util
import shutil
import sys
from pathlib import Path

import hydra
from hydra._internal.utils import get_args_parser
from hydra.errors import InstantiationException
from lightning_fabric.utilities.exceptions import MisconfigurationException
from omegaconf import DictConfig

from seqtasks.cli.args import check_writable
from seqtasks.config.compose import CONFIG_DIR, check_overrides, job_output_dir
from seqtasks.training.resume import TrainingInterrupted
from seqtasks.training.train import train

HYDRA_FILES = {".hydra", "train.log"}  # what Hydra writes into a job's directory before main


def one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


@hydra.main(config_path=str(CONFIG_DIR), config_name="train", version_base="1.3")
def hydra_main(cfg: DictConfig) -> float | None:
    """One job; returns `optimized_metric` of its metrics, the objective a sweeper (Optuna) reads."""
    try:
        cfg.output_dir = job_output_dir(cfg)  # multirun: each job its own directory
        return objective(train(cfg), cfg.get("optimized_metric"))
    except TrainingInterrupted as e:
        print(e, file=sys.stderr)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:  # Ctrl+C before training started: nothing saved
        print("interrupted by SIGINT before a checkpoint was saved", file=sys.stderr)
        sys.exit(130)
    except InstantiationException as e:  # a constructor refused a config value
        refused(cfg, one_line(e.__cause__ or e))
    except (ValueError, TypeError, FileNotFoundError, MisconfigurationException) as e:
        refused(cfg, one_line(e))
    except ModuleNotFoundError as e:  # a logger or callback whose package is not installed
        refused(cfg, f"{one_line(e)} (pip install 'seqtasks[all]' adds tensorboard, mlflow and rich)")


def objective(metrics: dict[str, float], name: str | None) -> float | None:
    if name is None:
        return None
    if name not in metrics:
        raise ValueError(f"optimized_metric={name} is not among the run's metrics "
                         f"({', '.join(k for k in metrics if '/' in k)})")
    return float(metrics[name])


def refused(cfg: DictConfig, message: str) -> None:
    """Exits with one error line; the run directory Hydra made for this job goes too when it holds
    nothing but Hydra's own files (a refused run leaves nothing that looks like a started run)."""
    run_dir = Path(str(cfg.get("output_dir", "")))
    if run_dir.is_dir() and not cfg.get("resume") and {p.name for p in run_dir.iterdir()} <= HYDRA_FILES:
        shutil.rmtree(run_dir, ignore_errors=True)
    sys.exit(f"error: {message}")


def precheck(argv: list[str]) -> None:
    """One-line errors for bad overrides before Hydra's multi-line ones. Hydra's own argument parser
    tells its flags (`--cfg job`, `-sc install=bash`, ...) from the overrides, so only the overrides
    are checked; help and shell completion are left to Hydra."""
    args, _ = get_args_parser().parse_known_args(argv)
    if args.help or args.hydra_help or args.shell_completion:
        return
    check_overrides(args.overrides)
    if any(o.startswith("hparams_search=") for o in args.overrides) and \
            importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is None:
        raise ValueError("hparams_search needs Hydra's Optuna sweeper and joblib launcher: "
                         "pip install 'seqtasks[sweep]'")
    for override in args.overrides:  # Hydra makes the run directory before anything of ours runs
        key, _, value = override.partition("=")
        if key.lstrip("+") == "output_dir" and "${" not in value:
            check_writable("output_dir", Path(value), folder=True)


def main(argv: list[str] | None = None, prog: str | None = None) -> None:
    """Runs the Hydra app on `argv` (default: this process's arguments)."""
    if argv is not None:
        sys.argv = [prog or sys.argv[0], *argv]
    try:
        precheck(sys.argv[1:])
    except ValueError as e:
        sys.exit(f"error: {e}")
    hydra_main()
