"""The results of docs/results.md as a named set of experiments that one command runs over seeds
(`seqtasks reproduce`, `make results`) and writes up from the run directories."""

from seqtasks.results.document import results_markdown
from seqtasks.results.experiments import EXPERIMENTS, REFERENCES, Experiment, select
from seqtasks.results.runner import reproduce

__all__ = ["EXPERIMENTS", "REFERENCES", "Experiment", "reproduce", "results_markdown", "select"]
