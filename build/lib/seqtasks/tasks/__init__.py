from seqtasks.tasks.classification import SequenceClassifier
from seqtasks.tasks.forecasting import FORECAST_MODELS, DLinear, Forecaster, InstanceNorm
from seqtasks.tasks.pooling import POOLINGS, SequencePooling
from seqtasks.tasks.regression import InputGradientNorms, SequenceRegressor, input_gradient_norms

__all__ = ["FORECAST_MODELS", "POOLINGS", "DLinear", "Forecaster", "InputGradientNorms", "InstanceNorm",
           "SequenceClassifier", "SequencePooling", "SequenceRegressor", "input_gradient_norms"]
