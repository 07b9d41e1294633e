"""The benchmark result as Markdown tables, one per section that ran."""

from __future__ import annotations


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join("-" if v is None else str(v) for v in row) + " |" for row in rows]


def _pct(value) -> str | None:
    return None if value is None else f"{100 * value:.1f} %"


def _at(seconds, epoch) -> str:
    return "not reached" if seconds is None else f"{seconds} ({epoch})"


def markdown(result: dict) -> str:
    d, out = result["details"], []
    m = result["machine"]
    out.append(f"Machine: {m['cpus']} CPUs ({m['torch_threads']} torch threads), torch {m['torch']}, "
               f"GPU: {m['gpu'] or 'none'}, commit {m['commit']}{' (--quick)' if result['quick'] else ''}")
    if "overhead" in d:
        o = d["overhead"]
        out += ["", f"Framework overhead ({o['dataset']}, batch {o['batch_size']}, {o['steps']} steps after "
                    f"{o['warmup']} warm-up, runs alternated):", ""]
        out += _table(["plain PyTorch samples/s", "seqtasks samples/s", "ratio seqtasks / plain"],
                      [[o["plain_samples_per_s"], o["seqtasks_samples_per_s"], result["overhead_ratio"]]])
    if "encoders" in d:
        out += ["", "Encoders (ms per call, hidden 128, mixed lengths T/2..T):", ""]
        out += _table(["encoder", "impl", "device", "B", "T", "forward", "forward+backward", "first call s"],
                      [[r["encoder"], r["impl"], r["device"], r["batch"], r["length"], r["forward_ms"],
                        r["forward_backward_ms"], r["first_call_s"]] for r in d["encoders"]["rows"]])
    if "encoder_family" in d:
        out += ["", "Encoder family (forward+backward ms per batch, B 32, H 128, one layer and direction; "
                    "ratio to the fused LSTM of the same run):", ""]
        out += _table(["encoder", "device", "T", "forward+backward ms", "ratio to LSTM"],
                      [[r["encoder"], r["device"], r["length"], r["forward_backward_ms"], r["ratio_to_lstm"]]
                       for r in d["encoder_family"]["rows"]])
    if "padding" in d:
        out += ["", "Padding (share of computed time steps, one training epoch):", ""]
        out += _table(["dataset", "rows", "mean / max length", "batch", "bucketed", "not bucketed"],
                      [[k, v["rows"], f"{v['mean_length']} / {v['max_length']}", v["batch_size"],
                        _pct(v["padding_fraction_bucketed"]), _pct(v["padding_fraction_unbucketed"])]
                       for k, v in d["padding"].items()])
    if "data_wait" in d:
        out += ["", "Data waiting (BBC News main job, one epoch, Lightning's SimpleProfiler):", ""]
        out += _table(["cache", "preparation s", "epoch s", "waiting for data"],
                      [[k, v["prep_seconds"], v["epoch_seconds"], _pct(v["data_wait_fraction"])]
                       for k, v in d["data_wait"].items()])
    if "growth" in d:
        out += ["", "Growth (BBC News training set replicated, empty cache each):", ""]
        out += _table(["factor", "train rows", "train.csv MB", "preparation s", "peak RSS MB",
                       "peak anonymous MB"],
                      [[f"{k}x", v["train_rows"], v["train_csv_mb"], v["prep_seconds"], v["peak_rss_mb"],
                        v["peak_anon_mb"]]
                       for k, v in d["growth"].items()])
    if "target" in d:
        out += ["", "Time to target (wall time from the command's start, validation after each epoch):", ""]
        out += _table(["task", "metric", "target", "seconds (epoch)", "best", "test acc: seconds (epoch)",
                       "best test acc", "peak RSS MB"],
                      [[k, v["metric"], v["target"], _at(v["seconds"], v["epoch"]),
                        round(v[f"best_{v['metric']}"], 4),
                        _at(v.get("test_acc_seconds"), v.get("test_acc_epoch")),
                        v.get("best_test_acc") and round(v["best_test_acc"], 4), v["peak_rss_mb"]]
                       for k, v in d["target"].items()])
    return "\n".join(out)
