"""Benchmark suite: `python scripts/benchmark.py --out bench.json [--quick] [--sections a,b]`.
Writes the JSON result and prints Markdown tables (framework overhead, encoders, padding, data
waiting, growth, time to target), each section measured in fresh processes on this machine."""

from seqtasks.cli.benchmark import main

if __name__ == "__main__":
    main(prog="python scripts/benchmark.py")
