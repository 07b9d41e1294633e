"""Evaluation reports, run comparison and seed summaries."""

from seqtasks.reports.evaluate import evaluate
from seqtasks.reports.registry import TaskReport, register_task_report, task_report_for
from seqtasks.reports.summary import load_runs, speaker_table, summary_table

__all__ = ["TaskReport", "evaluate", "load_runs", "register_task_report", "speaker_table", "summary_table",
           "task_report_for"]
