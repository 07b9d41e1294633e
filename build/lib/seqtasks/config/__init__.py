"""Configuration: composing the Hydra tree, checks before any data is read, and what a config may build."""
