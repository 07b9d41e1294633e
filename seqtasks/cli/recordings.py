"""`seqtasks recordings root=CLIPS out=DIR speakers=[theo] [count=20] [digits=[4,4]] [snr_db=20]`:
test recordings of digit strings made from clips of held-out speakers (FSDD's file layout, or a
synthesized corpus with group=test), with random pauses and gains, seeded, and a manifest of the
true strings and digit boundaries; `seqtasks predict ... mode=sequence` reads them."""

from pathlib import Path

from seqtasks.cli.args import check_writable, parse_args, run_main

ARGS = {"root": "folder of clips named digit_speaker_take.wav (e.g. data/fsdd/recordings)",
        "out": "folder for rec*.wav and manifest.json",
        "speakers": "[name, ...] whose clips are used (default: all)",
        "group": "a synthesized corpus' voice group instead of speakers (test: held-out voices)",
        "count": "recordings (default 20)", "digits": "[min, max] digits per recording (default [3,10])",
        "pause_ms": "[min, max] pause before, between and after digits (default [100,600])",
        "gain_db": "[min, max] gain of each clip (default [-6,6])",
        "snr_db": "white noise this many dB under the speech (default: none)",
        "seed": "random seed (default 0)"}


def recordings_command(argv: list[str]) -> None:
    from seqtasks.data.audio.recordings import make_recordings, speaker_clips

    args = parse_args(argv, ARGS)
    if "root" not in args or "out" not in args:
        raise ValueError("give root=CLIPS_FOLDER and out=DIR")
    out = Path(args.pop("out"))
    check_writable("out", out, folder=True)
    clips = speaker_clips(args.pop("root"), args.pop("speakers", None), args.pop("group", None))
    manifest = make_recordings(clips, out, **args)
    print(f"recordings: {manifest}")


def main(argv: list[str] | None = None, prog: str = "seqtasks recordings") -> None:
    run_main(recordings_command, prog, ARGS, argv)
