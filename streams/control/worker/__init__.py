"""The faust and Kafka glue of the control app: clients, zone follower, ledger, app, agents, timers, web."""
