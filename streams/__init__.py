"""Stream processors (the checkpoint-hit hot path, the control app), all run by ``streams.runtime``."""
