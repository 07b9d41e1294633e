"""Per-task report plug-ins. Every module here is imported by `task_report_for` and registers a
`TaskReport` for its LightningModule class name(s) with `register_task_report`, e.g.

    register_task_report("Forecaster")(TaskReport(collect=..., metrics=..., sections=(...)))

so a new task gets evaluation, comparison and prediction by adding one module, without touching
the report core (`seqtasks.reports.evaluate`, `compare`, `seqtasks.export.predict`).
"""
