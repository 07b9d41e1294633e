import math

import pytest
import torch

from seqtasks.tasks.neighbour_words import NeighbourWordLoss


def test_uniform_predictions_cost_log_vocab_size():
    loss = NeighbourWordLoss(hidden_size=3, vocab_size=10, bidirectional=True)
    for head in (loss.next_word, loss.previous_word):
        torch.nn.init.zeros_(head.weight), torch.nn.init.zeros_(head.bias)
    tokens = torch.tensor([[2, 3, 4, 0], [5, 6, 0, 0]])
    value = loss(torch.randn(2, 4, 6), tokens)
    assert value.item() == pytest.approx(math.log(10))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_only_states_with_a_neighbour_inside_the_text_are_trained(bidirectional):
    H = 3
    loss = NeighbourWordLoss(hidden_size=H, vocab_size=10, bidirectional=bidirectional)
    tokens = torch.tensor([[2, 3, 4, 0, 0]])  # 3 real tokens, then padding
    outputs = torch.randn(1, 5, 2 * H if bidirectional else H, requires_grad=True)
    loss(outputs, tokens).backward()
    used = outputs.grad.abs().sum(-1) > 0  # which steps got a gradient, per direction below
    forward = outputs.grad[0, :, :H].abs().sum(-1) > 0
    assert forward.tolist() == [True, True, False, False, False]  # steps 0, 1 predict tokens 1, 2
    if bidirectional:
        backward = outputs.grad[0, :, H:].abs().sum(-1) > 0
        assert backward.tolist() == [False, True, True, False, False]  # steps 1, 2 predict 0, 1
    assert not used[0, 3:].any()


def test_one_token_texts_have_nothing_to_predict():
    loss = NeighbourWordLoss(hidden_size=2, vocab_size=5, bidirectional=True)
    value = loss(torch.randn(2, 1, 4), torch.tensor([[3], [4]]))
    assert value.item() == 0.0
