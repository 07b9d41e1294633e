"""Audio features and training-only augmentation (torchaudio transforms)."""

import pytest
import torch

from seqtasks.data import DigitsDataModule
from seqtasks.data.audio import FeatureFrames, decode_audio, trim_silence
from seqtasks.data.augment import SpecAugment, WaveAugment, build_augmentation
from tests.conftest import write_tone


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
