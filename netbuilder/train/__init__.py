"""Training: data sets, recipes and the training loop (torch, no Qt)."""
