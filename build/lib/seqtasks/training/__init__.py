"""Training: `train(cfg)`, its callbacks, interruption and resume."""
