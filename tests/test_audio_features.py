"""Audio features and training-only augmentation (torchaudio transforms)."""

import pytest
import soundfile as sf
import torch

from seqtasks.data import DigitsDataModule
from seqtasks.data.audio.augment import SpecAugment, WaveAugment, build_augmentation
from seqtasks.data.audio.features import FeatureFrames, decode_audio, trim_silence
from tests.conftest import write_tone, write_tone_digits


def test_frames_every_10_ms_with_n_mfcc_or_n_mels_features():
    wave = torch.randn(8000)  # 1 s at 8 kHz
    assert FeatureFrames(8000, "mfcc", n_mfcc=13).forward(wave).shape == (101, 13)
    assert FeatureFrames(8000, "logmel", n_mels=32).forward(wave).shape == (101, 32)


def test_trim_cuts_leading_and_trailing_silence():
    tone = torch.sin(torch.arange(4000) / 3.0)
    padded = torch.cat([torch.zeros(2000), tone, torch.zeros(3000)])
    assert len(trim_silence(padded, 8000, top_db=40)) == 4000


def test_decoded_file_is_mono_float_at_the_requested_rate(tmp_path):
    decoded = decode_audio(write_tone(tmp_path / "a.wav", 3, rate=16000, channels=2), 8000, trim_db=None)
    assert decoded.waveform.shape == (2400,) and decoded.downmixed and decoded.resampled


def test_noise_is_added_at_the_chosen_snr():
    torch.manual_seed(0)
    clean = torch.sin(torch.arange(8000) / 3.0)
    noisy = WaveAugment(8000, noise_snr_db=[10, 10])(clean)
    snr = 10 * torch.log10(clean.pow(2).mean() / (noisy - clean).pow(2).mean())
    assert float(snr) == pytest.approx(10, abs=0.5)


def test_speed_and_shift_change_the_length():
    torch.manual_seed(0)
    wave = torch.randn(8000)
    assert len(WaveAugment(8000, speed=[0.5])(wave)) == 16000  # half speed: twice as long
    assert len(WaveAugment(8000, shift_ms=100)(wave)) == 8800  # 100 ms moved between the two ends


def test_spec_augment_zeroes_bands_and_spans():
    torch.manual_seed(0)
    masked = SpecAugment(freq_mask=5, time_mask=10, masks=2)(torch.ones(100, 20))  # (T, F)
    assert (masked == 0).any() and masked.shape == (100, 20)
    assert not SpecAugment().active and not build_augmentation({}, 8000)[0].active


def test_augmentation_changes_training_batches_only(tone_root):
    dm = DigitsDataModule(root=tone_root, augment=dict(noise_snr_db=[5, 5], time_mask=5), bucket=False)
    dm.setup("fit")
    frames, lengths, _ = dm._batch("train", [0])
    assert not torch.allclose(frames[0, : lengths[0]], dm.normalize(dm.rows["train"]["frames"][0]))
    frames, lengths, _ = dm._batch("test", [0])
    assert torch.equal(frames[0, : lengths[0]], dm.normalize(dm.rows["test"]["frames"][0]))


def test_utterance_norm_removes_each_utterance_mean(tone_root):
    dm = DigitsDataModule(root=tone_root, utterance_norm=True)
    dm.setup("fit")
    frames = dm.rows["test"]["frames"][0]
    assert torch.allclose(dm.normalize(frames).mean(0), -dm.mean / dm.std, atol=1e-4)


def test_speaker_norm_makes_features_independent_of_a_speakers_recording_gain(tmp_path):
    """bob's files are alice's at a quarter of the amplitude: a constant shift of log energy, which
    each speaker's own statistics remove (per-utterance mean removal would too, but also the shape)."""
    root = write_tone_digits(tmp_path / "gain", speakers=("alice", "carol"))
    for path in sorted(root.glob("*_alice_*.wav")):
        wave, rate = sf.read(path, dtype="float32")
        sf.write(root / path.name.replace("alice", "bob"), wave / 4, rate, subtype="FLOAT")
    dm = DigitsDataModule(root=root, features="logmel", trim_db=None, speaker_norm=True,
                          test_speakers=["bob"], val_speakers=["carol"])
    dm.prepare_data()
    dm.setup("fit")
    test, train = dm.rows["test"], dm.rows["train"]
    i, j = test["name"].index("1_bob_3.wav"), train["name"].index("1_alice_3.wav")
    bob, alice = dm.normalize(test["frames"][i], "bob"), dm.normalize(train["frames"][j], "alice")
    assert not torch.allclose(test["frames"][i], train["frames"][j], atol=0.5)  # raw: 12 dB apart
    assert torch.allclose(bob, alice, atol=1e-2)  # the rest: log(x + 1e-6) and 16-bit rounding


def test_speaker_norm_gives_each_speaker_zero_mean_and_unit_variance(tone_root):
    dm = DigitsDataModule(root=tone_root, speaker_norm=True, test_speakers=["bob"], val_speakers=["carol"])
    dm.setup("fit")
    frames = torch.cat([dm.normalize(f, "bob") for f in dm.rows["test"]["frames"]]) * dm.std + dm.mean
    assert torch.allclose(frames.mean(0), torch.zeros(20), atol=1e-4)
    assert torch.allclose(frames.std(0, correction=0), torch.ones(20), atol=1e-4)


def test_prediction_inputs_given_together_are_normalized_as_one_speaker(tone_root):
    dm = DigitsDataModule(root=tone_root, speaker_norm=True)
    dm.setup("fit")
    paths = sorted(str(p) for p in tone_root.glob("*_bob_*.wav"))
    frames, lengths, _ = next(iter(dm.predict_loader(paths[:4])))
    raw = [FeatureFrames(8000)(decode_audio(p, 8000, 40.0).waveform) for p in paths[:4]]
    mean, std = torch.cat(raw).mean(0), torch.cat(raw).std(0, correction=0)
    assert torch.allclose(frames[0, : lengths[0]], ((raw[0] - mean) / std - dm.mean) / dm.std, atol=1e-4)


def test_utterance_norm_and_speaker_norm_together_are_refused(tone_root):
    with pytest.raises(ValueError, match="data.utterance_norm=true and data.speaker_norm=true: give one"):
        DigitsDataModule(root=tone_root, utterance_norm=True, speaker_norm=True)
