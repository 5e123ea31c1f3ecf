"""Alerts: who may receive one (``routing``) and how Alert, Update and Cancel change a thread (``logic``)."""
