"""Sequence classification: input layer -> encoder -> pooling -> dropout -> linear, for any task."""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from seqtasks.tasks.loss_means import log_loss, loss_means
from seqtasks.tasks.optim import adamw_one_cycle
from seqtasks.tasks.options import check_choice, check_fraction, check_non_negative, check_optimizer
from seqtasks.tasks.pooling import POOLINGS, SequencePooling

EMBEDDING_INITS = ("random", "lsa")


class SequenceClassifier(pl.LightningModule):
    """Classifies token sequences (`vocab_size` given: embedding input) or feature frames
    (`num_features` given: linear input). The encoder arrives as a factory taking `input_size`,
    so its size flows from `embedding_dim`; label names are saved in the checkpoint."""

    monitor, monitor_mode = "val/acc", "max"
    # training-only options of seqtasks 0.1 (no measured gain), dropped when an older checkpoint loads
    removed_options = ("word_dropout", "unk_id", "lm_weight", "mixup_alpha")
    removed_modules = ("neighbour_words.",)  # lm_weight's prediction head: not used by the classifier

    def __init__(self, encoder: Callable[..., nn.Module], num_classes: int, label_names: list[str],
                 vocab_size: int | None = None, num_features: int | None = None,
                 embedding_dim: int = 128, input_dropout: float = 0.1, pooling: str = "max",
                 dropout: float = 0.3, lr: float = 2e-3, weight_decay: float = 0.01,
                 warmup_fraction: float = 0.1, pad_id: int = 0, embedding_init: str = "random",
                 label_smoothing: float = 0.0, adversarial_eps: float = 0.0):
        super().__init__()
        if (vocab_size is None) == (num_features is None):
            raise ValueError("give exactly one of vocab_size (tokens) or num_features (frames)")
        if num_classes < 2 or len(label_names) != num_classes:
            raise ValueError(f"num_classes={num_classes} needs >= 2 classes and one name each, "
                             f"got label_names={label_names}")
        if embedding_init == "lsa" and vocab_size is None:
            raise ValueError("task.embedding_init=lsa needs token input (vocab_size), not feature frames")
        self.save_hyperparameters(ignore=["encoder"], logger=False)  # trackers get the whole config
        self.check_options(self.hparams)
        self.input = (nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id) if vocab_size
                      else nn.Linear(num_features, embedding_dim))
        self.input_dropout = nn.Dropout(input_dropout)
        self.encoder = encoder(input_size=embedding_dim)
        self.pool = SequencePooling(pooling, self.encoder.output_dim)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.encoder.output_dim, num_classes))
        metrics = MetricCollection({"acc": MulticlassAccuracy(num_classes, average="micro"),
                                    "f1_macro": MulticlassF1Score(num_classes, average="macro")})
        self.val_metrics, self.test_metrics = metrics.clone("val/"), metrics.clone("test/")
        self.loss_means = loss_means()

    @staticmethod
    def check_options(options: dict) -> None:
        """Checks the options that need no data (all constructor arguments given in `options`)."""
        for name in ("input_dropout", "dropout", "label_smoothing"):
            check_fraction(name, options[name])
        check_choice("pooling", options["pooling"], POOLINGS)
        check_choice("embedding_init", options["embedding_init"], EMBEDDING_INITS)
        check_optimizer(options)
        check_non_negative("adversarial_eps", options["adversarial_eps"])

    def setup(self, stage: str) -> None:
        """embedding_init=lsa: start the embedding from word vectors of the training split (the
        datamodule's `lsa_embeddings`); a checkpoint restored afterwards overrides them."""
        if stage == "fit" and self.hparams.embedding_init == "lsa":
            vectors = self.trainer.datamodule.lsa_embeddings(self.hparams.embedding_dim)
            seen = vectors.norm(dim=1) > 0  # unseen words keep their random start
            self.input.weight.data[seen] = vectors[seen].to(self.input.weight)

    def represent(self, embedded, lengths):
        """Input vectors [B, T, E] -> encoder outputs [B, T, D] and the pooled vector [B, D]."""
        outputs, summary = self.encoder(self.input_dropout(embedded), lengths)  # -> (B, T, D), (B, D)
        return outputs, self.pool(outputs, summary, lengths)

    def forward(self, x, lengths):
        """x: token ids [B, T] or frames [B, T, F]; lengths [B] -> logits [B, C]."""
        return self.head(self.represent(self.input(x), lengths)[1])

    def model_step(self, batch):
        """The batch's loss from the model alone (no adversarial pass, nothing logged): what the
        report's gradient probe differentiates."""
        x, lengths, y = batch
        return self.training_loss(self.represent(self.input(x), lengths)[1], y)

    def training_step(self, batch, batch_idx):
        x, lengths, y = batch
        embedded = self.input(x)  # -> (B, T, E)
        loss = self.training_loss(self.represent(embedded, lengths)[1], y)
        log_loss(self, "train", loss, len(y))
        if self.hparams.adversarial_eps and self.training:
            shifted = embedded + self.adversarial_shift(loss, embedded)  # -> (B, T, E)
            adversarial = self.training_loss(self.represent(shifted, lengths)[1], y)
            self.log("train/adversarial_loss", adversarial, on_step=False, on_epoch=True, batch_size=len(y))
            loss = loss + adversarial
        return loss

    def training_loss(self, pooled, y):
        """Cross-entropy of the head on pooled vectors [B, D], label-smoothed if asked."""
        return F.cross_entropy(self.head(pooled), y, label_smoothing=self.hparams.label_smoothing)

    def adversarial_shift(self, loss, embedded):
        """The perturbation of each text's input vectors [B, T, E], of L2 norm adversarial_eps,
        that raises the loss fastest to first order (Miyato et al. 2017); detached, so no gradient
        flows through the shift itself."""
        grad, = torch.autograd.grad(loss, embedded, retain_graph=True)
        norms = grad.flatten(1).norm(dim=1).clamp(min=1e-12)  # -> (B,)
        return (self.hparams.adversarial_eps * grad / norms[:, None, None]).detach()

    def _eval_step(self, batch, stage: str, metrics: MetricCollection):
        x, lengths, y = batch
        logits = self(x, lengths)
        log_loss(self, stage, F.cross_entropy(logits, y), len(y))
        metrics.update(logits, y)
        self.log_dict(metrics, on_step=False, on_epoch=True, prog_bar=stage == "val")

    def validation_step(self, batch, batch_idx):
        self._eval_step(batch, "val", self.val_metrics)

    def test_step(self, batch, batch_idx):
        self._eval_step(batch, "test", self.test_metrics)

    def predict_step(self, batch, batch_idx):
        x, lengths = batch[:2]
        return self(x, lengths).softmax(-1)

    def configure_optimizers(self):
        """AdamW, one-cycle schedule. Biases, norms and embeddings get no weight decay."""
        decay = [p for n, p in self.named_parameters() if p.ndim >= 2 and not n.startswith("input.")]
        rest = [p for n, p in self.named_parameters() if p.ndim < 2 or n.startswith("input.")]
        groups = [{"params": decay, "weight_decay": self.hparams.weight_decay},
                  {"params": rest, "weight_decay": 0.0}]
        return adamw_one_cycle(self, groups, self.hparams.lr, self.hparams.warmup_fraction)
