"""Client options for aiokafka and faust from the process's ``KafkaSettings`` (one place for SASL/TLS)."""

from __future__ import annotations

import ssl
from typing import Any

from schemas.kafka_settings import KafkaSettings

__all__ = ["aiokafka_options", "faust_brokers", "ssl_context"]


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context for SSL / SASL_SSL, trusting ``ssl_ca_location``; None without TLS."""
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    return ssl.create_default_context(cafile=settings.ssl_ca_location)


def aiokafka_options(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's consumer and admin client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.username or ""
        options["sasl_plain_password"] = settings.password.get_secret_value() if settings.password else ""
    return options


def faust_brokers(settings: KafkaSettings) -> list[str]:
    """faust broker URLs: the ``kafka://`` (aiokafka) transport, never ``confluent://``."""
    return [f"kafka://{server.strip()}" for server in settings.bootstrap_servers.split(",") if server.strip()]
