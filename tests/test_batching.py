import torch

from seqtasks.data import LengthBucketedBatchSampler, pad_token_batch

LENGTHS = torch.randint(1, 200, (1000,), generator=torch.Generator().manual_seed(0))


def test_every_row_appears_exactly_once_per_epoch():
    sampler = LengthBucketedBatchSampler(LENGTHS, batch_size=32, shuffle=True, seed=0)
    seen = sorted(i for batch in sampler for i in batch)
    assert seen == list(range(len(LENGTHS)))
    assert len(list(sampler)) == len(sampler) == 32  # ceil(1000 / 32)


def test_order_is_seeded_and_changes_with_the_epoch():
    a = LengthBucketedBatchSampler(LENGTHS, 32, shuffle=True, seed=3)
    b = LengthBucketedBatchSampler(LENGTHS, 32, shuffle=True, seed=3)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first


def test_bucketing_cuts_padding():
    bucketed = LengthBucketedBatchSampler(LENGTHS, 32, shuffle=True, seed=0, bucket=True)
    plain = LengthBucketedBatchSampler(LENGTHS, 32, shuffle=True, seed=0, bucket=False)
    assert bucketed.padding_fraction() < 0.05
    assert plain.padding_fraction() > 0.4


def test_evaluation_batches_are_sorted_and_deterministic():
    sampler = LengthBucketedBatchSampler(LENGTHS, 100, shuffle=False)
    flat = [i for batch in sampler for i in batch]
    assert torch.all(LENGTHS[flat].diff() >= 0)


def test_pad_token_batch_pads_with_zero_and_reports_lengths():
    ids, lengths, y = pad_token_batch([{"input_ids": [5, 6, 7], "label": 1},
                                       {"input_ids": [8], "label": 0}])
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert lengths.tolist() == [3, 1] and y.tolist() == [1, 0]
