"""The secured broker keeps its secrets: nothing readable by others, no password in server.properties."""

from __future__ import annotations

import stat
from pathlib import Path

from ops.kafka import LocalCluster
from schemas.topics import Catalogue
from streams.runtime import ClientFactory


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_every_file_of_the_secure_set_up_is_its_owners_only(
    secured: tuple[LocalCluster, dict[str, str], Catalogue],
) -> None:
    cluster, _, _ = secured
    root = cluster.run_dir
    checked = {root: _mode(root)}
    for path in root.rglob("*"):  # broker config, JAAS, TLS keys, state, credentials, logs, data
        checked[path] = _mode(path)
    loose = {str(p.relative_to(root)): f"{m:04o}" for p, m in checked.items() if m & 0o077}
    assert not loose, f"readable or writable by others: {loose}"
    assert all(m == 0o700 for p, m in checked.items() if p.is_dir())
    names = {p.relative_to(root).as_posix() for p in checked}
    # the files that hold secrets are among those checked
    assert {"cluster.json", "credentials.json", "tls/ca.key", "tls/broker.pem", "node-1/jaas.conf",
            "node-1/server.properties"} <= names  # fmt: skip
    assert any(n.startswith("node-1/data/") for n in names)  # and what the broker itself wrote


def test_no_password_in_server_properties_nor_on_the_brokers_command_line(
    secured: tuple[LocalCluster, dict[str, str], Catalogue],
) -> None:
    cluster, passwords, _ = secured
    state = cluster.load_state()
    assert state is not None and state.secure and state.admin_password
    node = state.nodes[0]
    properties = node.config_file.read_text()
    assert state.admin_password not in properties and "password" not in properties.lower()
    assert "sasl.jaas.config" not in properties
    jaas = Path(node.node_dir) / "jaas.conf"
    assert state.admin_password in jaas.read_text() and _mode(jaas) == 0o600
    cmdline = Path(f"/proc/{node.pid}/cmdline").read_bytes()
    assert f"-Djava.security.auth.login.config={jaas}".encode() in cmdline
    for secret in (state.admin_password, *passwords.values()):
        assert secret.encode() not in cmdline


def test_the_super_users_credential_was_made_by_the_storage_tool(
    secured: tuple[LocalCluster, dict[str, str], Catalogue],
) -> None:
    cluster, _, _ = secured
    admin = ClientFactory(cluster.settings(), "test-secure-files").admin()
    described = admin.describe_user_scram_credentials(["admin"])
    assert isinstance(described, dict)
    info = described["admin"].result(timeout=15)
    assert [c.mechanism.name for c in info.scram_credential_infos] == ["SCRAM_SHA_512"]
