"""`python scripts/data.py ...` is `seqtasks data ...` (see seqtasks/cli/data.py)."""

from seqtasks.cli.data import main

if __name__ == "__main__":
    main(prog="python scripts/data.py")
