"""Recurrent sequence encoders: RNN, LSTM, GRU (fused and explicit implementations), minGRU and
minLSTM (parallel scan and sequential), IndRNN; all `SequenceEncoder`s.

``encoder(x, lengths) -> (outputs, summary)`` with ``x`` ``(B, T, F)``, ``lengths`` ``(B,)``,
``outputs`` ``(B, T, encoder.output_dim)`` (zeros on padded steps) and ``summary``
``(B, encoder.output_dim)``.
"""

from seqtasks.encoders.base import SequenceEncoder
from seqtasks.encoders.explicit import ExplicitGRU, ExplicitLSTM, ExplicitRNN
from seqtasks.encoders.indrnn import IndRNNEncoder
from seqtasks.encoders.recurrent import GRUEncoder, LSTMEncoder, RNNEncoder
from seqtasks.encoders.scan import MinGRUEncoder, MinLSTMEncoder

__all__ = [
    "ExplicitGRU",
    "ExplicitLSTM",
    "ExplicitRNN",
    "GRUEncoder",
    "IndRNNEncoder",
    "LSTMEncoder",
    "MinGRUEncoder",
    "MinLSTMEncoder",
    "RNNEncoder",
    "SequenceEncoder",
]
