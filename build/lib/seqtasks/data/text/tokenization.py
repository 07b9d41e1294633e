"""Vocabularies from the `tokenizers` library, trained on the training split only."""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

PAD, UNK = "[PAD]", "[UNK]"
TOKENIZER_KINDS = ("word", "wordpiece")


def train_tokenizer(texts: Iterable[str], kind: str = "word", vocab_size: int = 30000,
                    min_frequency: int = 1, lowercase: bool = True) -> Tokenizer:
    """A word-level (or WordPiece) tokenizer with [PAD] = 0 and [UNK] = 1.

    Words split on white space and punctuation ("what's" -> what ' s); words seen fewer than
    `min_frequency` times in training become [UNK], so rare words share one learned vector.
    """
    if kind not in TOKENIZER_KINDS:
        raise ValueError(f"data.tokenizer='{kind}' is not one of {list(TOKENIZER_KINDS)}")
    if kind == "word":
        tok = Tokenizer(models.WordLevel(unk_token=UNK))
        trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                            special_tokens=[PAD, UNK])
    else:
        tok = Tokenizer(models.WordPiece(unk_token=UNK))
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                            special_tokens=[PAD, UNK])
    steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainer=trainer)
    assert tok.token_to_id(PAD) == 0 and tok.token_to_id(UNK) == 1
    return tok
