"""`python -m seqtasks COMMAND ...`: the same as the `seqtasks` command."""

from seqtasks.cli import main

if __name__ == "__main__":
    main()
