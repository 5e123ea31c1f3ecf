"""Stream processors: the checkpoint-hit hot path (confluent-kafka) and the control app (faust-streaming)."""
