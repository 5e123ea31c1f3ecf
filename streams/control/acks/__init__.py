"""Deliveries and their answers: what each is owed (``logic``), deadlines and breaches, outcome figures."""
