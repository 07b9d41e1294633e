from seqtasks.data.batching import LengthBucketedBatchSampler, pad_token_batch
from seqtasks.data.digits import DigitsDataModule
from seqtasks.data.memory import AddingDataModule, adding_problem
from seqtasks.data.text import TextDataModule
from seqtasks.data.timeseries import SeriesDataModule, WindowDataset

__all__ = ["AddingDataModule", "DigitsDataModule", "LengthBucketedBatchSampler", "SeriesDataModule",
           "TextDataModule", "WindowDataset", "adding_problem", "pad_token_batch"]
