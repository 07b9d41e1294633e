from seqtasks.tasks.classification import SequenceClassifier
from seqtasks.tasks.pooling import POOLINGS, SequencePooling

__all__ = ["POOLINGS", "SequenceClassifier", "SequencePooling"]
