"""seqtasks: sequence learning with recurrent networks (RNN, LSTM) on PyTorch Lightning."""

from seqtasks.version import __version__

__all__ = ["__version__"]
