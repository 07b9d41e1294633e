"""Audio: decoding, features, augmentation, folders of labelled clips and synthesized digits."""

from seqtasks.data.audio.datamodule import DigitsDataModule

__all__ = ["DigitsDataModule"]
