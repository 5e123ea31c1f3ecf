"""``python -m bench.peers.quix --config FILE``: runs the Quix Streams peer until SIGTERM."""

from bench.peers.quix.app import main

main()
