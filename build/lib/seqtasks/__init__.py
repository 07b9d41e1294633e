"""seqtasks: sequence learning with recurrent networks (RNN, LSTM) on PyTorch Lightning.

    import seqtasks
    cfg = seqtasks.load_config(["data=files", "data.root=my_texts", "trainer.max_epochs=3"])
    metrics = seqtasks.train(cfg)                      # {"test/acc": ..., ...}, and a run directory
    seqtasks.evaluate(run=cfg.output_dir)              # RUN_DIR/report/report.html
    seqtasks.predict(f"{cfg.output_dir}/checkpoints/best.ckpt", ["a new text"])

The names load lazily, so `import seqtasks` stays light until one is used."""

from importlib import import_module

from seqtasks.version import __version__

API = {"load_config": "seqtasks.config.compose", "train": "seqtasks.training.train",
       "evaluate": "seqtasks.reports.evaluate", "compare": "seqtasks.reports.compare",
       "predict": "seqtasks.export.predict"}

__all__ = ["__version__", *API]


def __getattr__(name: str):
    if name in API:
        return getattr(import_module(API[name]), name)
    raise AttributeError(f"module 'seqtasks' has no attribute {name!r}")
