"""Test recordings of digit strings: `python scripts/recordings.py root=CLIPS out=DIR speakers=[theo]`
(see `seqtasks recordings --help`)."""

from seqtasks.cli.recordings import main

if __name__ == "__main__":
    main(prog="python scripts/recordings.py")
