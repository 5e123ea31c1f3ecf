"""`python -m ops.cli` is `rax`."""

from ops.cli import main

main()
