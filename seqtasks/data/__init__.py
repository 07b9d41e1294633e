from seqtasks.data.batching import LengthBucketedBatchSampler, pad_token_batch
from seqtasks.data.text import TextDataModule

__all__ = ["LengthBucketedBatchSampler", "TextDataModule", "pad_token_batch"]
