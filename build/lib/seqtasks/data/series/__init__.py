"""Series: windows of a multivariate series for forecasting."""

from seqtasks.data.series.datamodule import SeriesDataModule, WindowDataset

__all__ = ["SeriesDataModule", "WindowDataset"]
