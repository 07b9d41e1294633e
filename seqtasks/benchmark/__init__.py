"""`scripts/benchmark.py`: where a seqtasks run spends its time and memory, measured side by side
in one process tree (framework overhead, encoder implementations, padding, data waiting, time to
target, growth of data preparation)."""

SECTIONS = ("overhead", "encoders", "encoder_family", "padding", "data_wait", "growth", "target")
