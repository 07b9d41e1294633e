from seqtasks.reports.summary import load_runs, summary_table

__all__ = ["load_runs", "summary_table"]
