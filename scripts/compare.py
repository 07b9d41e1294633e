"""Put runs of one task side by side: `python scripts/compare.py RUN_DIR... [out=DIR]`; runs that
differ only in seed are grouped into mean ± std (e.g. the run dirs of `train.py -m encoder=rnn,lstm
seed=1,2,3`)."""

from seqtasks.cli.compare import main

if __name__ == "__main__":
    main(prog="python scripts/compare.py")
