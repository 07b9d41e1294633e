"""seqtasks: sequence learning with recurrent networks (RNN, LSTM) on PyTorch Lightning."""

__version__ = "0.1.0"
