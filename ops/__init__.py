"""Operations: the `rax` CLI, the local Kafka, zones, identities and ACLs; may use every other package."""
