"""Text: labelled texts from files, folders, the hub or a package, tokenized and cached."""

from seqtasks.data.text.datamodule import TextDataModule

__all__ = ["TextDataModule"]
