"""The evaluation app (监测评价): scorecards per region and period from audit, acks, matches, reads, requests.

Pure modules (``facts``, ``decode``, ``ledger``, ``periods``, ``stats``, ``deadlines``, ``timing``,
``activity``, ``requests``, ``scorecard``, ``publish``) import neither Kafka nor faust; ``app`` wires
them to faust-streaming, ``rebuild`` to a plain replay through the runtime's client factory.
"""
