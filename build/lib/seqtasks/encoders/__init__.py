"""Recurrent sequence encoders (RNN, LSTM, GRU) with fused and explicit implementations.

``encoder(x, lengths) -> (outputs, summary)`` with ``x`` ``(B, T, F)``, ``lengths`` ``(B,)``,
``outputs`` ``(B, T, encoder.output_dim)`` (zeros on padded steps) and ``summary``
``(B, encoder.output_dim)``.
"""

from seqtasks.encoders.explicit import ExplicitGRU, ExplicitLSTM, ExplicitRNN
from seqtasks.encoders.recurrent import GRUEncoder, LSTMEncoder, RNNEncoder

__all__ = [
    "ExplicitGRU",
    "ExplicitLSTM",
    "ExplicitRNN",
    "GRUEncoder",
    "LSTMEncoder",
    "RNNEncoder",
]
