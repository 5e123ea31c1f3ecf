"""The demo exchange: a local broker, the 川渝 zone, every processor and simulators, and a live view."""
