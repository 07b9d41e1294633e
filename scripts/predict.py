"""Predict with a checkpoint alone: `python scripts/predict.py ckpt=PATH inputs=["a text","another"]`
or `inputs=texts.txt` (one text per line), or audio files for task=digits; JSON lines (input, prediction,
probabilities) go to stdout, or to `out=FILE`."""

from seqtasks.cli.predict import main

if __name__ == "__main__":
    main(prog="python scripts/predict.py")
