"""Taking a trained model out: prediction from a checkpoint alone."""
