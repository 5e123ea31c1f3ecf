"""HTTP intake tokens: what is refused at start-up, where a token may come from, how a header is judged."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from connectors.cap import CapConfig
from connectors.checkpoint_http import CheckpointHttpConfig
from connectors.sdk.options import option_specs
from connectors.sdk.tokens import (
    MIN_TOKEN_BYTES,
    Auth,
    TokenError,
    check_authorization,
    check_token,
    read_token_file,
)
from ops.cli import main

TOKEN = "Zq3v9-example-token-of-region-510000_x"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "empty or only white space"),
        ("   \t ", "empty or only white space"),
        ("\u3000", "empty or only white space"),  # one ideographic space
        ("a" * (MIN_TOKEN_BYTES - 1), "at least 32"),
        ("a" * 20 + " " + "b" * 20, "without white space"),
        ("密" * 16, "printable ASCII"),  # 48 bytes of UTF-8, but not a header value
    ],
)
def test_unusable_tokens_are_refused_with_the_reason(token: str, message: str) -> None:
    with pytest.raises(TokenError, match=message):
        check_token(token)


def test_a_32_byte_token_is_accepted() -> None:
    assert check_token("a" * 32) == "a" * 32


def test_a_token_file_must_be_private_and_its_line_break_is_not_part_of_the_token(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o644)
    with pytest.raises(TokenError, match="chmod 600"):
        read_token_file(path)
    path.chmod(0o600)
    assert read_token_file(path) == TOKEN
    path.write_text("\n")
    with pytest.raises(TokenError, match="empty"):
        read_token_file(path)
    with pytest.raises(TokenError, match="cannot read"):
        read_token_file(tmp_path / "missing")


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        (None, Auth.MISSING),
        (f"Bearer {TOKEN}", Auth.OK),
        (f"bearer  {TOKEN} ", Auth.OK),  # the scheme is case-insensitive (RFC 7235)
        (f"Basic {TOKEN}", Auth.MISSING),
        ("Bearer ", Auth.WRONG),
        ("Bearer", Auth.WRONG),
        (f"Bearer {TOKEN[:-1]}", Auth.WRONG),
        (f"Bearer {TOKEN}x", Auth.WRONG),
        ("Bearer \u3000", Auth.MALFORMED),  # what `--token ""` let in before: one Unicode space
        ("Bearer \udcff\udcfe", Auth.MALFORMED),  # bytes that are not UTF-8, as aiohttp decodes them
        ("Bearer a\x00b", Auth.MALFORMED),
    ],
)
def test_authorization_headers(header: str | None, verdict: Auth) -> None:
    assert check_authorization(header, TOKEN) is verdict


def test_the_checkpoint_endpoint_needs_a_token_and_never_echoes_it(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="--token-file FILE or \\$RAX_HTTP_TOKEN"):
        CheckpointHttpConfig()
    with pytest.raises(ValidationError) as caught:
        CheckpointHttpConfig(token="secret-but-short")  # type: ignore[arg-type]
    assert "secret-but-short" not in str(caught.value) and "at least 32" in str(caught.value)
    path = tmp_path / "t"
    path.touch(0o600)
    path.write_text(TOKEN)
    assert CheckpointHttpConfig(token_file=path).bearer_token() == TOKEN


def test_the_cap_endpoint_needs_a_token_only_when_it_listens(tmp_path: Path) -> None:
    CapConfig(directory=tmp_path)
    with pytest.raises(ValidationError, match="needs the region's token"):
        CapConfig(directory=tmp_path, port=0)


def test_a_token_is_no_command_line_option_but_a_token_file_is() -> None:
    for model in (CheckpointHttpConfig, CapConfig):
        flags = {s.flag for s in option_specs(model)}
        assert "--token" not in flags and "--token-file" in flags
        assert {"--header-timeout-s", "--body-timeout-s", "--max-connections"} <= flags


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["connector", "run", "checkpoint-http", "--region", "510000", "--bootstrap", "127.0.0.1:1", *args],
        env=env,
    )
    return result.exit_code, result.output


def test_the_cli_refuses_token_and_points_at_the_file_and_the_environment() -> None:
    code, output = _run("--token", TOKEN)
    assert code == 2 and "--token-file" in output and "RAX_HTTP_TOKEN" in output and "ps" in output


def test_the_cli_refuses_bad_tokens_at_start_up(tmp_path: Path) -> None:
    code, output = _run(env={"RAX_HTTP_TOKEN": " "})
    assert code == 1 and "empty or only white space" in output
    code, output = _run(env={"RAX_HTTP_TOKEN": "short"})
    assert code == 1 and "at least 32" in output and "short" not in output  # never echoed
    loose = tmp_path / "token"
    loose.write_text(TOKEN)
    loose.chmod(0o644)
    code, output = _run("--token-file", str(loose))
    assert code == 1 and "chmod 600" in output
    code, output = _run()
    assert code == 1 and "RAX_HTTP_TOKEN" in output
