"""`python scripts/reproduce.py ...` is `seqtasks reproduce ...` (see seqtasks/cli/reproduce.py)."""

from seqtasks.cli.reproduce import main

if __name__ == "__main__":
    main(prog="python scripts/reproduce.py")
