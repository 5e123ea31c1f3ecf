"""CAP intake as agencies send it: signed, large, .cap files, local offsets, EDXL-DE wrappers; no broker."""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.cap import CapConfig, CapError, CapSource, message_fields, read_document, to_cap_xml
from connectors.cap.writer import cap_time
from connectors.sdk import RecordKind, SourceContext, SourceRecord, validate
from schemas.alerts import Alert
from schemas.cap import utc_offset
from schemas.codec import decode, encode
from schemas.dlq import DlqReason

DATA = Path(__file__).parents[2] / "data" / "cap"
SIGNED = DATA / "naad_signed_thunderstorm.xml"
LARGE = DATA / "nws_hurricane_large.xml"
DOT_CAP = DATA / "dwd_storm_gusts.cap"
OFFSETS = DATA / "cfs_bushfire_offsets.xml"
EDXL = DATA / "edxl_de_chemical_release.xml"
GBK = DATA / "sc_rainstorm_gbk.xml"
LIMIT = CapConfig(port=0, token="t" * 32).max_bytes  # type: ignore[arg-type]
DS = "http://www.w3.org/2000/09/xmldsig#"


def _alerts(data: bytes, limit: int = LIMIT) -> list[Alert]:
    """Every alert of a document, as the connector publishes it (validated, encoded, decoded)."""
    out = []
    for msg in read_document(data, limit).messages:
        assert not isinstance(msg, CapError), msg
        fields = message_fields(msg, sender_region="510000", default_category="other")
        out.append(decode(validate(RecordKind.ALERTS, fields, "510000").value, Alert))
    return out


def _minimal(extra: str = "", root_attrs: str = "") -> bytes:
    return (
        f'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"{root_attrs}><identifier>X-1</identifier>'
        "<sender>a@b</sender><sent>2024-05-01T08:00:00+08:00</sent><status>Actual</status>"
        f"<msgType>Alert</msgType><scope>Public</scope>{extra}</alert>"
    ).encode()


def test_the_fixtures_are_what_they_stand_for() -> None:
    assert 256 * 1024 < LARGE.stat().st_size < 1 << 20
    assert b"<ds:Signature" in SIGNED.read_bytes() and b"enveloped-signature" in SIGNED.read_bytes()
    assert b"EDXLDistribution" in EDXL.read_bytes()


def test_the_default_limit_is_1_mib_and_cap_files_are_read() -> None:
    cfg = CapConfig(directory=Path("/nonexistent"))
    assert cfg.max_bytes == 1 << 20 and set(cfg.patterns) == {"*.xml", "*.cap"}


def test_a_signed_naad_message_is_accepted_with_its_signature_kept() -> None:
    (alert,) = _alerts(SIGNED.read_bytes())
    (sig,) = alert.signatures
    assert sig.startswith(f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>')
    assert sig.endswith("</ds:KeyInfo></ds:Signature>") and "<ds:X509Certificate>" in sig
    assert alert.identifier == "urn:oid:2.49.0.1.124.3411592107.2024" and len(alert.info) == 2


def test_signature_content_is_only_checked_for_being_well_formed() -> None:
    # not a valid XML-DSig Signature (the XML-DSig schema would refuse it): accepted, kept as it came
    odd = f'<Signature xmlns="{DS}"><Unexpected note="a > b"/>text</Signature>'
    (alert,) = _alerts(_minimal(odd))
    assert alert.signatures == (
        f'<Signature xmlns="{DS}"><Unexpected note="a > b"></Unexpected>text</Signature>',
    )
    (empty,) = _alerts(_minimal(f'<Signature xmlns="{DS}" Id="a>b"/><Object xmlns="{DS}"/>'))
    assert empty.signatures == (
        f'<Signature xmlns="{DS}" Id="a>b"></Signature>',
        f'<Object xmlns="{DS}"></Object>',
    )
    with pytest.raises(CapError, match="well-formed"):
        read_document(_minimal(f'<ds:Signature xmlns:ds="{DS}"><ds:A></ds:Signature>'), LIMIT)


def test_a_signature_that_inherits_its_prefix_is_kept_standalone() -> None:
    doc = _minimal(
        '<ds:Signature Id="s1"><ds:SignedInfo/></ds:Signature>',
        root_attrs=f' xmlns:ds="{DS}" xmlns:unused="urn:x"',
    )
    (alert,) = _alerts(doc)
    assert alert.signatures == (
        f'<ds:Signature xmlns:ds="{DS}" Id="s1"><ds:SignedInfo></ds:SignedInfo></ds:Signature>',
    )


def test_a_large_message_is_accepted_under_the_default_limit_and_refused_under_the_old_one() -> None:
    (alert,) = _alerts(LARGE.read_bytes())
    assert len(alert.info[0].areas) == 250 and len(alert.info[0].areas[0].polygons[0]) == 90
    assert len(encode(alert)) < 1_000_000  # fits the producer's default message.max.bytes
    with pytest.raises(CapError, match="over the limit of 262144") as caught:
        read_document(LARGE.read_bytes(), 256 * 1024)
    assert caught.value.reason is DlqReason.TOO_LARGE


def test_original_offsets_are_kept_beside_the_utc_times() -> None:
    (alert,) = _alerts(OFFSETS.read_bytes())
    assert alert.sent == datetime(2024, 1, 17, 3, 35, tzinfo=UTC) and alert.sent_offset == "+10:30"
    info = alert.info[0]
    assert (info.effective_offset, info.onset_offset, info.expires_offset) == ("+09:30", "+10:30", "-00:00")
    assert alert.references[0].sent_offset == "+10:30"
    back = to_cap_xml(alert).decode()
    assert "<sent>2024-01-17T14:05:00+10:30</sent>" in back
    assert "<effective>2024-01-17T13:35:00+09:30</effective>" in back
    assert "<expires>2024-01-17T09:05:00-00:00</expires>" in back
    assert ",2024-01-17T13:20:00+10:30</references>" in back


EXAMPLES = [SIGNED, LARGE, DOT_CAP, OFFSETS, GBK, *sorted((DATA / "official").glob("*.xml"))]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_parse_json_write_parse_gives_an_equal_model(path: Path) -> None:
    (alert,) = _alerts(path.read_bytes())
    via_json = decode(encode(alert), Alert)
    (again,) = _alerts(to_cap_xml(via_json))
    assert again == alert  # offsets and signatures included


def test_a_message_in_gbk_is_read_as_its_text() -> None:
    raw = GBK.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="GBK"?>') and "暴雨".encode("gbk") in raw
    (alert,) = _alerts(raw)
    assert (
        alert.info[0].headline == "四川省气象台发布暴雨橙色预警"
        and alert.info[0].sender_name == "四川省气象台"
    )


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'<?xml version="1.0" encoding="GBK"?><alert>\xff\xfe\xff</alert>', "not written in it"),
        (b'<?xml version="1.0" encoding="no-such-code"?><alert/>', "unknown encoding"),
        (b'<?xml version="1.0" encoding="UTF-8"?><alert>\xff</alert>', "not well-formed"),
    ],
)
def test_a_document_not_in_its_declared_encoding_is_refused_with_the_reason(data: bytes, says: str) -> None:
    with pytest.raises(CapError, match=says) as caught:
        read_document(data, LIMIT)
    assert caught.value.reason is DlqReason.BAD_SOURCE_RECORD


def test_a_reader_that_fails_unexpectedly_costs_the_document_not_the_connector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(data: bytes, max_bytes: int) -> None:
        raise RuntimeError("a parser's bug")

    (tmp_path / "a.xml").write_bytes(OFFSETS.read_bytes())
    monkeypatch.setattr("connectors.cap.source.read_document", broken)
    (record,) = _scan(tmp_path)
    assert record.reason is DlqReason.PROCESSING_ERROR and "RuntimeError: a parser's bug" in (
        record.error or ""
    )


def test_an_edxl_de_distribution_is_unwrapped_into_its_alerts() -> None:
    doc = read_document(EDXL.read_bytes(), LIMIT)
    assert doc.skipped == 1  # the plume map: not an alert
    english, spanish = _alerts(EDXL.read_bytes())
    assert (english.info[0].language, spanish.info[0].language) == ("en-US", "es-US")
    assert english.distribution is not None
    assert english.distribution.distribution_id == "HCOEM-2024-0826-0910-DE"
    assert english.distribution.sender_id == "eoc@harris-county.example.gov"
    assert english.sent_offset == "-05:00"


def test_an_invalid_embedded_alert_is_refused_alone() -> None:
    data = EDXL.read_bytes().replace(b"<status>Actual</status>", b"<status>Maybe</status>", 1)
    first, second = read_document(data, LIMIT).messages
    assert isinstance(first, CapError) and first.reason is DlqReason.SCHEMA_VIOLATION
    assert not isinstance(second, CapError)


def test_a_distribution_without_alerts_is_refused() -> None:
    empty = (
        '<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0">'
        "<distributionID>D</distributionID><senderID>a@b</senderID><contentObject><nonXMLContent><mimeType>text/plain</mimeType>"
        "</nonXMLContent></contentObject></EDXLDistribution>"
    )
    with pytest.raises(CapError, match="embeds no CAP alert") as caught:
        read_document(empty.encode(), LIMIT)
    assert caught.value.reason is DlqReason.SCHEMA_VIOLATION


_OFFSET = st.builds(
    lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
    st.sampled_from("+-"),
    st.integers(0, 14),
    st.sampled_from([0, 30, 45]),
)


@given(st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1)), _OFFSET)
def test_a_time_written_at_its_offset_reads_back_as_the_same_instant_and_offset(
    at: datetime, offset: str
) -> None:
    instant = at.replace(microsecond=0, tzinfo=UTC)
    text = cap_time(instant, offset)
    assert text.endswith(offset) and utc_offset(text) == offset
    assert datetime.fromisoformat(text) == instant


def test_a_utc_time_without_a_kept_offset_is_written_as_minus_zero() -> None:
    at = datetime(2024, 5, 1, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    assert cap_time(at) == "2024-04-30T16:00:00-00:00"
    assert utc_offset("2024-05-01T08:00:00Z") is None and utc_offset(at) == "+08:00"


# ---- the source itself, without Kafka ----------------------------------------------------------------
def _source(**cfg: object) -> CapSource:
    source = CapSource(
        CapConfig(**cfg),
        SourceContext(region="510000", source_id="test", logger=logging.getLogger("test.cap")),
    )
    source.setup(None)
    return source


def _scan(directory: Path) -> list[SourceRecord]:
    source = _source(directory=directory)
    return list(source.poll(0.0).records)


def test_the_drop_directory_reads_xml_and_cap_in_any_case_and_reports_other_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a.xml").write_bytes(OFFSETS.read_bytes())
    (tmp_path / "b.CAP").write_bytes(DOT_CAP.read_bytes())
    (tmp_path / "c.cap").write_bytes(SIGNED.read_bytes())
    (tmp_path / "notes.txt").write_text("call the duty officer")
    (tmp_path / ".d.xml.tmp").write_bytes(b"<alert")  # still being written: not read, not reported
    (tmp_path / "e.xml.part").write_bytes(b"<alert")
    with caplog.at_level(logging.WARNING):
        records = {r.origin: r for r in _scan(tmp_path)}
    assert set(records) == {"a.xml", "b.CAP", "c.cap", "notes.txt"}
    assert all(records[n].error is None for n in ("a.xml", "b.CAP", "c.cap"))
    assert records["notes.txt"].reason is DlqReason.BAD_SOURCE_RECORD
    assert "matches none of the CAP file patterns" in (records["notes.txt"].error or "")
    assert records["notes.txt"].raw == b"call the duty officer"
    assert "notes.txt" in caplog.text


def test_an_oversized_file_is_refused_with_its_size_and_digest(tmp_path: Path) -> None:
    big = _minimal("<note>" + "x" * (2 << 20) + "</note>")
    (tmp_path / "big.xml").write_bytes(big)
    (record,) = _scan(tmp_path)
    assert record.reason is DlqReason.TOO_LARGE and record.original is not None
    assert record.original.size == len(big) and len(record.raw) == LIMIT + 1
    assert record.original.sha256 == hashlib.sha256(big).hexdigest()
    assert f"{len(big)} bytes is over the limit of {LIMIT}" in (record.error or "")


def test_each_alert_of_a_distribution_is_its_own_record(tmp_path: Path) -> None:
    (tmp_path / "de.xml").write_bytes(EDXL.read_bytes())
    records = _scan(tmp_path)
    assert [r.origin for r in records] == ["de.xml#alert1", "de.xml#alert2"]
    assert all(r.raw == EDXL.read_bytes() and isinstance(r.value, dict) for r in records)


def test_a_file_is_read_once_until_it_changes(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_bytes(OFFSETS.read_bytes())
    source = _source(directory=tmp_path)
    assert len(source.poll(0.0).records) == 1
    assert source.poll(0.0).records == []
    os.utime(tmp_path / "a.xml", ns=(1, 1))
    assert len(source.poll(0.0).records) == 1
