"""Peers of RAX's processors written with other stream frameworks, each run in its own virtual environment."""
