"""How a RAX process reaches Kafka: bootstrap servers and credentials, as one frozen settings model."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["KafkaSettings"]


class KafkaSettings(BaseModel):
    """Connection settings shared by every client of one process; built at the entry point only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bootstrap_servers: str = Field("127.0.0.1:9092", description="host:port[,host:port…] of the brokers")
    security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = Field(
        "PLAINTEXT", description="how clients talk to the brokers"
    )
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism when the protocol is SASL_*"
    )
    username: str | None = Field(None, description="SASL user name (a region's identity or the processors')")
    password: SecretStr | None = Field(None, description="SASL password")
    ssl_ca_location: str | None = Field(None, description="PEM file of the CA that signed the brokers' certs")

    def client_config(self) -> dict[str, Any]:
        """librdkafka configuration keys for these settings (merge into a producer/consumer/admin config)."""
        cfg: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol.lower(),
        }
        if self.security_protocol.startswith("SASL"):
            cfg["sasl.mechanism"] = self.sasl_mechanism
            cfg["sasl.username"] = self.username or ""
            cfg["sasl.password"] = self.password.get_secret_value() if self.password else ""
        if self.ssl_ca_location and self.security_protocol in ("SASL_SSL", "SSL"):
            cfg["ssl.ca.location"] = self.ssl_ca_location
        return cfg

    def as_user(self, username: str, password: str) -> KafkaSettings:
        """The same brokers reached as another SASL identity."""
        return self.model_copy(update={"username": username, "password": SecretStr(password)})
