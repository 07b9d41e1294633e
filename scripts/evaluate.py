"""Write the evaluation report of a run: `python scripts/evaluate.py run=RUN_DIR` (or ckpt=PATH),
optionally on other data: `... data.root=OTHER_FOLDER` (keys of the run's data config)."""

from seqtasks.cli.evaluate import main

if __name__ == "__main__":
    main(prog="python scripts/evaluate.py")
