"""Word vectors from the training split alone (LSA), to start an embedding layer from topics
instead of noise when labelled texts are few and no pretrained vectors may be downloaded."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


def lsa_word_vectors(
    documents: Sequence[Sequence[int]], vocab_size: int, dim: int, pad_id: int = 0
) -> torch.Tensor:
    """Latent semantic analysis (Deerwester et al. 1990): the truncated SVD of the TF-IDF
    weighted word-document matrix. Words that occur in the same documents get nearby vectors.
    Each dimension's sign is fixed by the data (its largest entry positive), not by the random
    start or the thread count. Rows are scaled to norm sqrt(dim), the typical norm of
    nn.Embedding's N(0, 1) rows; the padding row and words absent from `documents` are zero.
    documents: token ids per document -> (vocab_size, dim)"""
    word_ids = torch.cat([torch.as_tensor(d, dtype=torch.long) for d in documents])
    doc_ids = torch.repeat_interleave(torch.arange(len(documents)), torch.tensor([len(d) for d in documents]))
    counts = torch.sparse_coo_tensor(
        torch.stack([word_ids, doc_ids]),
        torch.ones(len(word_ids)),
        (vocab_size, len(documents)),
        check_invariants=True,
    ).coalesce()  # (V, N)
    words, docs = counts.indices()
    doc_freq = torch.bincount(words, minlength=vocab_size).float()
    idf = torch.log((1 + len(documents)) / (1 + doc_freq)) + 1
    weights = torch.log1p(counts.values()) * idf[words]
    tfidf = torch.sparse_coo_tensor(counts.indices(), weights.double(), counts.shape, check_invariants=True)
    q = min(dim, *tfidf.shape)
    # float64: the power iterations amplify rounding ~10^3-fold; in float32 that left 1 and 2 threads
    # 1.2e-4 apart (relative) on BBC News, in float64 3e-10, below float32's own rounding.
    U, S, _ = torch.svd_lowrank(tfidf, q=q, niter=4)  # U: (V, q)
    # A singular vector's sign is arbitrary: the random start and the float order (1 or 2 threads)
    # flipped some of them, and a flipped column is another initialization; fix each column's
    # largest entry positive (scikit-learn's svd_flip), so the vectors depend on the data alone.
    largest = U.abs().argmax(dim=0)  # (q,)
    U = U * torch.sign(U[largest, torch.arange(q)])
    vectors = torch.zeros(vocab_size, dim)
    vectors[:, :q] = (U * S.sqrt()).float()
    vectors = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-8) * math.sqrt(dim)
    vectors[doc_freq == 0] = 0.0  # never seen in training (e.g. only past max_length): no vector
    vectors[pad_id] = 0.0
    return vectors
