"""Train one run: `python scripts/train.py task=text data=trec data.root=... encoder=rnn seed=1`,
or a sweep, one run directory per job: `python scripts/train.py -m encoder=rnn,lstm seed=1,2,3`.
Bad configuration stops before any data is read with one `error: ...` line; SIGINT or SIGTERM
stops training with a checkpoint and one `interrupted ...` line (exit status 128 + signal)."""

from seqtasks.cli.train import main

if __name__ == "__main__":
    main()
