import functools

import pytest
import torch

from seqtasks.encoders import LSTMEncoder
from seqtasks.tasks import POOLINGS, SequenceClassifier, SequencePooling


@pytest.mark.parametrize("kind", POOLINGS)
def test_pooling_ignores_padded_steps(kind):
    torch.manual_seed(0)
    pool = SequencePooling(kind, dim=4)
    outputs = torch.randn(2, 5, 4)
    outputs[0, 3:] = 0.0  # row 0 has 3 valid steps; the encoder zeroes padding
    lengths = torch.tensor([3, 5])
    pooled = pool(outputs, outputs[:, -1], lengths)
    alone = pool(outputs[:1, :3], outputs[:1, -1], lengths[:1])
    if kind != "last":  # `last` is the encoder's summary, passed through
        torch.testing.assert_close(pooled[:1], alone)
    assert pooled.shape == (2, 4)


def test_max_pooling_picks_the_largest_valid_value():
    outputs = torch.tensor([[[1.0], [-2.0], [0.0]]])  # third step is padding
    pooled = SequencePooling("max", 1)(outputs, None, torch.tensor([2]))
    assert pooled.item() == 1.0
    negative = SequencePooling("max", 1)(-outputs.abs() - 1, None, torch.tensor([2]))
    assert negative.item() == -2.0  # padding's zero never wins


def make_classifier(**kwargs):
    encoder = functools.partial(LSTMEncoder, hidden_size=8, bidirectional=True)
    args = dict(num_classes=3, label_names=["a", "b", "c"], vocab_size=20, embedding_dim=6)
    return SequenceClassifier(encoder, **{**args, **kwargs})


def test_token_classifier_sizes_flow_from_data_and_encoder():
    model = make_classifier()
    assert model.encoder.input_size == 6 and model.encoder.output_dim == 16
    logits = model(torch.randint(1, 20, (4, 7)), torch.tensor([7, 3, 5, 1]))
    assert logits.shape == (4, 3)


def test_frame_classifier_projects_features():
    model = make_classifier(vocab_size=None, num_features=13)
    logits = model(torch.randn(2, 9, 13), torch.tensor([9, 4]))
    assert logits.shape == (2, 3)


def test_label_names_are_hyperparameters():
    assert make_classifier().hparams.label_names == ["a", "b", "c"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(vocab_size=None), "exactly one of vocab_size"),
    (dict(pooling="sum"), r"task.pooling='sum' is not one of"),
    (dict(dropout=1.5), r"task.dropout=1.5 must be in \[0, 1\)"),
    (dict(label_names=["a"]), "one name each"),
    (dict(label_smoothing=1.0), r"task.label_smoothing=1.0 must be in \[0, 1\)"),
])
def test_bad_classifier_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_classifier(**kwargs)


def test_lsa_embedding_init_copies_the_datamodules_vectors_for_seen_words():
    from types import SimpleNamespace

    model = make_classifier(embedding_init="lsa")
    vectors = torch.zeros(20, 6)
    vectors[2:5] = torch.arange(18.0).reshape(3, 6)  # words 2-4 seen; the rest keep their init
    before = model.input.weight.detach().clone()
    model._trainer = SimpleNamespace(datamodule=SimpleNamespace(lsa_embeddings=lambda dim: vectors))
    model.setup("fit")
    torch.testing.assert_close(model.input.weight[2:5], vectors[2:5])
    torch.testing.assert_close(model.input.weight[5:], before[5:])


def test_unknown_embedding_init_is_refused():
    with pytest.raises(ValueError, match=r"task.embedding_init='glove' is not one of \['random', 'lsa'\]"):
        make_classifier(embedding_init="glove")


def test_adversarial_shift_has_norm_eps_per_text_and_raises_the_loss():
    torch.manual_seed(0)
    x, lengths, y = torch.randint(2, 20, (3, 6)), torch.tensor([6, 4, 2]), torch.tensor([0, 1, 2])
    x[1, 4:] = x[2, 2:] = 0  # padding
    model = make_classifier(adversarial_eps=0.05).eval()  # no dropout
    embedded = model.input(x)
    clean = model.training_loss(model.represent(embedded, lengths)[1], y)
    shift = model.adversarial_shift(clean, embedded)  # -> (3, 6, 6)
    torch.testing.assert_close(shift.flatten(1).norm(dim=1), torch.full((3,), 0.05))
    assert (shift[1, 4:] == 0).all() and (shift[2, 2:] == 0).all()  # padding is not moved
    shifted = model.training_loss(model.represent(embedded + shift, lengths)[1], y)
    random = torch.randn_like(shift)
    random = 0.05 * random / random.flatten(1).norm(dim=1)[:, None, None]
    randomly_shifted = model.training_loss(model.represent(embedded + random, lengths)[1], y)
    assert shifted > clean and shifted - clean > (randomly_shifted - clean).abs()


def test_adversarial_training_adds_the_loss_at_the_shifted_inputs():
    torch.manual_seed(0)
    x, lengths, y = torch.randint(2, 20, (3, 6)), torch.tensor([6, 4, 2]), torch.tensor([0, 1, 2])
    model = make_classifier(adversarial_eps=0.5, input_dropout=0.0, dropout=0.0).train()
    model.log = lambda *args, **kwargs: None
    embedded = model.input(x)
    clean = model.training_loss(model.represent(embedded, lengths)[1], y)
    shifted = embedded + model.adversarial_shift(clean, embedded)
    expected = clean + model.training_loss(model.represent(shifted, lengths)[1], y)
    torch.testing.assert_close(model.training_step((x, lengths, y), 0), expected)
    model.eval()  # a training-only transform: outside training the step is the clean loss alone
    torch.testing.assert_close(model.training_step((x, lengths, y), 0), clean)
    torch.testing.assert_close(model.model_step((x, lengths, y)), clean)
