from seqtasks.data.audio.datamodule import DigitsDataModule
from seqtasks.data.batching import LengthBucketedBatchSampler, pad_token_batch
from seqtasks.data.series.datamodule import SeriesDataModule, WindowDataset
from seqtasks.data.synthetic.memory import AddingDataModule, adding_problem
from seqtasks.data.text.datamodule import TextDataModule

__all__ = ["AddingDataModule", "DigitsDataModule", "LengthBucketedBatchSampler", "SeriesDataModule",
           "TextDataModule", "WindowDataset", "adding_problem", "pad_token_batch"]
