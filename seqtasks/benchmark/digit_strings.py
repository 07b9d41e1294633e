"""Digit strings from long recordings, measured: for each speaker-independent digits run, recordings
of 4 and of 10 digits made from its held-out speaker's clips and from the synthesized held-out voices
(clean and under white noise at 20 dB SNR), read with `predict ... mode=sequence`; digit error rate
(insertions + deletions + substitutions over true digits), whole-string accuracy, and the same
model's clip error on the same clips beside them."""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from torchmetrics.functional.text import char_error_rate

from seqtasks.data.audio.features import decode_audio
from seqtasks.data.audio.recordings import make_recordings, speaker_clips
from seqtasks.data.audio.sources import tts_folder
from seqtasks.data.cache import default_cache_dir
from seqtasks.export.predictor import Predictor
from seqtasks.export.sequence import classify_segments, transcribe
from seqtasks.reports.runs import read_checkpoint, run_labels

LENGTHS, SNRS = (4, 10), (None, 20.0)


def held_out_clips(ckpt: dict) -> dict[str, list[tuple[str, str, str]]]:
    """{"fsdd": the run's test speakers' clips, "tts": the synthesized held-out (test) voices'}."""
    data = ckpt["seqtasks_config"]["data"]
    if not data.get("test_speakers") or data.get("root") is None:
        raise ValueError("digit strings need a speaker-independent run (data=fsdd_loso with data.root)")
    clips = {"fsdd": speaker_clips(data["root"], list(data["test_speakers"]))}
    corpus = tts_folder(data.get("synth"), Path(data.get("cache_dir") or default_cache_dir()))
    if (corpus / "manifest.json").is_file():
        clips["tts"] = speaker_clips(corpus, group="test")
    return clips


def clip_error(predictor: Predictor, clips) -> float:
    """Share of `clips` the model gets wrong one at a time, each speaker normalized on its own clips
    (as in prediction)."""
    data = predictor.datamodule
    rate, names = data.audio_args["sample_rate"], list(predictor.task.hparams.label_names)
    wrong = 0
    for speaker in sorted({s for _, _, s in clips}):
        own = [(p, d) for p, d, s in clips if s == speaker]
        waves = [decode_audio(p, rate, data.trim_db).waveform for p, _ in own]
        probs = torch.cat([predictor.run_batch(b) for b in data.waveform_loader(waves)])
        wrong += sum(names[int(k)] != d for k, (_, d) in zip(probs.argmax(1), own, strict=True))
    return wrong / len(clips)


def oracle_records(predictor: Predictor, folder: Path, manifest: dict) -> list[dict]:
    """Each recording read at its true digit boundaries: what the classifier alone gets, so that
    the segmenter's share of the errors is the difference."""
    rate, records = predictor.datamodule.audio_args["sample_rate"], []
    for rec in manifest["recordings"]:
        waveform = decode_audio(folder / rec["file"], rate, trim_db=None).waveform
        spans = [(int(s["start"] * rate), int(s["end"] * rate)) for s in rec["segments"]]
        records.append({"digits": "".join(s["digit"] for s in classify_segments(predictor, waveform, spans))})
    return records


def score(records: list[dict], manifest: dict) -> dict:
    truth = [r["digits"] for r in manifest["recordings"]]
    hyp = [r["digits"] for r in records]
    return {"digit_error_rate": float(char_error_rate(hyp, truth)),
            "string_acc": float(np.mean([h == t for h, t in zip(hyp, truth, strict=True)])),
            "wrong_count": int(sum(len(h) != len(t) for h, t in zip(hyp, truth, strict=True)))}


def digit_string_benchmark(run_dirs: list[Path], count: int = 100, seed: int = 0, log=print) -> dict:
    """{run: {source: {"clip_error": float, "n4_clean" ... "n10_snr20": score}}} for each
    speaker-independent digits run, `count` recordings per cell."""
    results = {}
    for label, run_dir in zip(run_labels(run_dirs), map(Path, run_dirs), strict=True):
        ckpt_path = run_dir / "checkpoints" / "best.ckpt"
        predictor = Predictor.from_checkpoint(ckpt_path, device="cpu")
        results[label] = {}
        for source, clips in held_out_clips(read_checkpoint(ckpt_path)).items():
            results[label][source] = row = source_row(predictor, clips, count, seed)
            log(f"digit strings: {label} {source}: {row}")
    return results


def source_row(predictor: Predictor, clips, count: int, seed: int) -> dict:
    """The clip error of `clips` and, per length and noise, the scores of `count` recordings."""
    row = {"speakers": sorted({s for _, _, s in clips}), "clips": len(clips),
           "clip_error": clip_error(predictor, clips)}
    for snr, n in itertools.product(SNRS, LENGTHS):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "rec"
            manifest_path = make_recordings(clips, folder, count, (n, n), snr_db=snr, seed=seed)
            manifest = json.loads(manifest_path.read_text())
            records = transcribe(predictor, [str(folder / r["file"]) for r in manifest["recordings"]])
            oracle = oracle_records(predictor, folder, manifest)
        row[f"n{n}_{_tag(snr)}"] = score(records, manifest) | {
            "oracle_digit_error_rate": score(oracle, manifest)["digit_error_rate"]}
    return row


def _tag(snr: float | None) -> str:
    return "clean" if snr is None else f"snr{snr:g}"


def markdown_table(results: dict) -> str:
    """One row per run, source and cell: clip error, digit error rate at true boundaries and with the
    segmenter, whole-string accuracy (%)."""
    lines = ["| run | clips of | digits | noise | clip error | DER, true boundaries | DER | string acc |",
             "|---|---|---|---|---|---|---|---|"]
    for run, sources in results.items():
        for source, row in sources.items():
            who = ",".join(row["speakers"]) if source == "fsdd" else f"{len(row['speakers'])} synth voices"
            for snr, n in itertools.product(SNRS, LENGTHS):
                cell = row[f"n{n}_{_tag(snr)}"]
                lines.append(f"| {run} | {who} | {n} | {'clean' if snr is None else f'{snr:g} dB SNR'} | "
                             f"{100 * row['clip_error']:.1f} | {100 * cell['oracle_digit_error_rate']:.1f} | "
                             f"{100 * cell['digit_error_rate']:.1f} | {100 * cell['string_acc']:.0f} |")
    return "\n".join(lines)
