"""Cooperation requests (协查): consent, the thread's state machine, its records, its deadlines."""
