"""Digit strings from long recordings (`seqtasks predict ... mode=sequence`): each recording is cut
into speech segments (`seqtasks.data.audio.segments`: energy above the noise floor, with
hysteresis), each segment is trimmed as the model's clips were and classified by the clip model.
Segmenting then classifying keeps the model that was trained and measured on clips, and needs no
whole-recording labels (a CTC model would)."""

from __future__ import annotations

import torch

from seqtasks.data.audio.datamodule import DigitsDataModule
from seqtasks.data.audio.features import MIN_SOUND_MS, BadAudio, decode_audio, trim_silence
from seqtasks.data.audio.segments import SegmentSettings, speech_segments

NO_SPEECH = "no speech found (nothing rises {start_db} dB above the recording's noise floor)"


def _clip(piece: torch.Tensor, sample_rate: int, trim_db: float | None) -> torch.Tensor:
    """A segment trimmed as training trimmed its clips, unless that leaves under 50 ms."""
    trimmed = trim_silence(piece, sample_rate, trim_db) if trim_db is not None else piece
    return trimmed if len(trimmed) >= sample_rate * MIN_SOUND_MS // 1000 else piece


def transcribe(predictor, inputs, settings: SegmentSettings | None = None) -> list[dict]:
    """One record per recording: {"input", "digits", "segments": [{"digit", "start", "end", "p"}]},
    times in seconds; a recording without speech gets "digits": "" and a "note"."""
    settings, datamodule = settings or SegmentSettings(), predictor.datamodule
    if not isinstance(datamodule, DigitsDataModule):
        raise ValueError(f"mode=sequence reads recordings with an audio model; this model's data is "
                         f"{type(datamodule).__name__}")
    joiner = "" if all(len(n) == 1 for n in predictor.task.hparams.label_names) else " "
    rate = datamodule.audio_args["sample_rate"]
    records = []
    for path in datamodule.read_inputs([inputs] if isinstance(inputs, str) else list(inputs)):
        try:
            waveform = decode_audio(path, rate, trim_db=None).waveform
        except BadAudio as e:
            if e.reason != "silent":
                raise
            records.append({"input": path, "digits": "", "segments": [], "note": "silent file"})
            continue
        spans = speech_segments(waveform, rate, settings)
        if not spans:
            records.append({"input": path, "digits": "", "segments": [],
                            "note": NO_SPEECH.format(start_db=settings.start_db)})
            continue
        segments = classify_segments(predictor, waveform, spans)
        records.append({"input": path, "digits": joiner.join(s["digit"] for s in segments),
                        "segments": segments})
    return records


def classify_segments(predictor, waveform: torch.Tensor, spans: list[tuple[int, int]]) -> list[dict]:
    """Sample ranges of one recording (samples,) -> [{"digit", "start", "end", "p"}]: each range
    trimmed as the model's clips were, the ranges normalized together as one speaker."""
    datamodule, names = predictor.datamodule, list(predictor.task.hparams.label_names)
    rate = datamodule.audio_args["sample_rate"]
    pieces = [_clip(waveform[s:e], rate, datamodule.trim_db) for s, e in spans]
    probs = torch.cat([predictor.run_batch(b) for b in datamodule.waveform_loader(pieces)])  # -> (S, C)
    p, best = probs.float().max(1)
    return [{"digit": names[int(k)], "start": round(s / rate, 3), "end": round(e / rate, 3),
             "p": round(float(q), 4)} for k, q, (s, e) in zip(best, p, spans, strict=True)]
