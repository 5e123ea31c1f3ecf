"""Pure mappings: pass-record lines, watchlist rows and simulated hits all become valid wire records."""

from __future__ import annotations

import importlib
import random
from datetime import UTC, datetime

import pytest

from connectors.checkpoint_file.mapping import csv_fields, json_fields, parse_header
from connectors.pass_records import hit_fields, is_unread
from connectors.sdk import RecordKind, Rejection, validate
from connectors.simulator.logic import HitGenerator
from connectors.simulator.plates import misread, vehicles
from connectors.simulator.source import rate_factor
from connectors.simulator.zone import CHECKPOINTS_PER_SIDE, border_checkpoints
from connectors.watchlist_csv.mapping import command_fields
from schemas.codec import decode, decode_command
from schemas.hits import CheckpointHit
from schemas.plates import normalise_plate, read_plate

NOW = "2024-05-01T00:00:00+00:00"
#: the module itself (the package exports its function of the same name)
validate_module = importlib.import_module("connectors.sdk.validate")
CN_HEADER = b"kkbh,hphm,hpzl,hpys,gcsj,fxlx,cdbh,clsd,xzqh,csys"


def _hit(fields: dict[str, object], region: str = "510000") -> CheckpointHit:
    value = hit_fields(fields, region=region, source_id="t", received_at=NOW)
    return decode(validate(RecordKind.HITS, value, region).value, CheckpointHit)


def test_a_chinese_csv_line_becomes_a_hit() -> None:
    header = parse_header(CN_HEADER, "utf-8", ",")
    fields = csv_fields(
        header, "510521-K0001,川A·12345,02,2,2024-05-01 08:30:00,1,2,63.5,510521,A".encode(), "utf-8", ","
    )
    hit = _hit(fields, "510521")  # 泸县's own feed
    assert (hit.checkpoint_id, hit.plate, hit.plate_read, hit.lane) == (
        "510521-K0001",
        "川A12345",
        "川A·12345",
        2,
    )
    assert hit.pass_time == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)  # China time, stored in UTC
    assert hit.region == "510521" and hit.plate_colour is not None and hit.plate_colour.value == "blue"


def test_an_english_json_line_becomes_a_hit_and_keeps_its_event_id() -> None:
    eid = "0b6f3c52-93a1-4d0e-8f7a-2c4e5b6a7d81"
    line = f'{{"event_id":"{eid}","checkpoint_id":"K1","plate":"渝BD12345","pass_time":"{NOW}"}}'
    assert _hit(json_fields(line.encode())).event_id == eid


@pytest.mark.parametrize(
    ("given", "kept"), [(0.87, 0.87), (1, 1.0), ("0.5", 0.5), (95, 0.95), ("87.5", 0.875), (100, 1.0)]
)
def test_a_confidence_read_as_a_percentage_is_a_fraction_on_the_wire(given: object, kept: float) -> None:
    line = f'{{"checkpoint_id":"K1","plate":"渝BD12345","pass_time":"{NOW}"}}'
    assert _hit({**json_fields(line.encode()), "confidence": given}).confidence == pytest.approx(kept)


@pytest.mark.parametrize("given", [150, -1, "high"])
def test_a_confidence_that_is_no_fraction_nor_percentage_is_refused(given: object) -> None:
    line = f'{{"checkpoint_id":"K1","plate":"渝BD12345","pass_time":"{NOW}"}}'
    fields = {**json_fields(line.encode()), "confidence": given}
    with pytest.raises(Rejection, match="confidence"):
        validate(
            RecordKind.HITS, hit_fields(fields, region="510000", source_id="t", received_at=NOW), "510000"
        )


def test_the_event_id_is_the_same_for_the_same_pass() -> None:
    fields = {"kkbh": "K1", "hphm": "川A12345", "gcsj": "2024-05-01 08:30:00", "cdbh": "1"}
    assert _hit(fields).event_id == _hit(dict(fields)).event_id
    assert _hit(fields).event_id != _hit({**fields, "cdbh": "2"}).event_id


@pytest.mark.parametrize("plate", ["无牌", "未识别", ""])
def test_unread_plates_are_dropped_not_rejected(plate: str) -> None:
    assert is_unread({"plate": plate}) and is_unread({"hphm": plate})
    assert not is_unread({"kkbh": "K1"})  # no plate column at all: that is a schema violation


def test_a_county_record_on_its_provinces_feed_is_refused_like_the_hot_path_would() -> None:
    value = hit_fields(
        {"kkbh": "K1", "hphm": "川A12345", "gcsj": NOW, "xzqh": "510521"},
        region="510000",
        source_id="t",
        received_at=NOW,
    )
    with pytest.raises(Rejection, match="region 510521") as caught:
        validate(RecordKind.HITS, value, "510000")
    assert caught.value.reason.value == "region_mismatch"


def test_a_hit_of_another_region_is_rejected_as_impersonation() -> None:
    value = hit_fields({"kkbh": "K1", "hphm": "川A12345", "gcsj": NOW, "xzqh": "500153"}, region="510000",
                       source_id="t", received_at=NOW)  # fmt: skip
    with pytest.raises(Rejection, match="region 500153") as caught:
        validate(RecordKind.HITS, value, "510000")
    assert caught.value.reason.value == "region_mismatch"


_ROW = {
    "op": "place", "reference": "A-1", "plate": "川A12345", "plate_colour": "蓝",
    "category": "stolen_vehicle", "action": "intercept", "priority": "high", "tolerance": "1",
    "legal_basis": "刑诉法", "scope": "510000 500000",
    "placed_at": "2024-05-01 08:00:00", "expires_at": "2024-06-01 08:00:00", "operator": "P1",
    "approval_unit": "某局", "approval_approver": "张三", "approval_at": "2024-05-01 07:00:00",
    "approval_reference": "审-1",
}  # fmt: skip


def test_a_watchlist_row_places_and_a_withdraw_row_withdraws_the_same_entry() -> None:
    place = decode_command(
        validate(RecordKind.WATCHLIST, command_fields(_ROW, "510000", "l1"), "510000").value
    )
    row = {**_ROW, "op": "withdraw", "reason": "found"}
    withdraw = decode_command(
        validate(RecordKind.WATCHLIST, command_fields(row, "510000", "l2"), "510000").value
    )
    assert place.op == "place" and withdraw.op == "withdraw"
    assert place.entry.entry_id == withdraw.entry_id  # type: ignore[union-attr]
    assert place.entry.scope == ("510000", "500000")  # type: ignore[union-attr]
    assert (
        place.command_id
        == decode_command(
            validate(RecordKind.WATCHLIST, command_fields(_ROW, "510000", "l1"), "510000").value
        ).command_id
    )


def test_a_watchlist_row_with_an_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown column"):
        command_fields({**_ROW, "platee": "x"}, "510000", "l")


def test_the_zone_has_175_checkpoints_a_side_the_same_for_the_same_seed() -> None:
    for side in ("510000", "500000"):
        cps = border_checkpoints("chuanyu", side, 1)
        assert len(cps) == CHECKPOINTS_PER_SIDE == len({c.kkbh for c in cps})
        assert cps == border_checkpoints("chuanyu", side, 1)
    assert all(c.kkbh.startswith("50") for c in border_checkpoints("chuanyu", "500000", 1))


def test_simulated_vehicles_have_valid_plates_of_every_kind() -> None:
    pool = vehicles(3000, 1)
    kinds = {normalise_plate(v.plate).kind.value for v in pool}
    assert {"ordinary", "new_energy_small", "new_energy_large", "trailer", "police", "coach"} <= kinds
    wrong = [w for v in pool[:300] if (w := misread(v.plate, random.Random(v.plate))) is not None]
    assert wrong and all(read_plate(w).text == w for w in wrong)  # a misread is a read, maybe not conforming


def _generator(**kw: float) -> HitGenerator:
    args = {"duplicate_rate": 0.2, "misread_rate": 0.03, **kw}
    checkpoints = border_checkpoints("chuanyu", "510000")
    return HitGenerator(seed=3, region="510000", source_id="sim", checkpoints=checkpoints,
                        vehicles=vehicles(2000, 3), block=512, **args)  # type: ignore[arg-type]  # fmt: skip


def test_simulated_hits_validate_and_the_key_is_the_plate() -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    block = _generator().generate(5, at)
    assert len(block) == 512
    for key, value in block:
        hit = decode(value, CheckpointHit)
        assert hit.plate.encode() == key and hit.region == "510000" and hit.pass_time == at


def test_a_block_is_the_same_after_a_restart_and_ids_continue() -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    a, b = _generator().generate(7, at), _generator().generate(7, at)
    assert a == b
    ids = [decode(v, CheckpointHit).event_id for _, v in a]
    assert len(set(ids)) == 512 and int(ids[0][-12:], 16) == 7 * 512


def test_several_cameras_report_the_same_pass_and_some_reads_are_wrong() -> None:
    block = _generator(duplicate_rate=0.5, misread_rate=0.5).generate(0, datetime(2024, 5, 1, tzinfo=UTC))
    values = [v.split(b'"checkpoint_id"')[1] for _, v in block]  # everything but the event id
    assert len(set(values)) < len(values)  # duplicates: same pass, other camera
    gen = _generator(misread_rate=0.0)
    clean = {k for k, _ in gen.generate(0, datetime(2024, 5, 1, tzinfo=UTC))}
    assert clean <= {k for k, _ in gen.vehicles}


def test_rush_hours_and_night_change_the_rate() -> None:
    assert rate_factor(datetime(2024, 5, 1, 0, 30, tzinfo=UTC), 2.5, 0.3) == 2.5  # 08:30 in China
    assert rate_factor(datetime(2024, 5, 1, 19, 0, tzinfo=UTC), 2.5, 0.3) == 0.3  # 03:00 in China
    assert rate_factor(datetime(2024, 5, 1, 4, 0, tzinfo=UTC), 2.5, 0.3) == 1.0


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-08:00", "0001-01-01T00:00:00+08:00", "00010101000000"])
def test_a_pass_time_with_no_utc_instant_is_rejected_as_implausible_not_raised(when: str) -> None:
    value = hit_fields({"kkbh": "K1", "hphm": "川A12345", "gcsj": when, "xzqh": "510000"}, region="510000",
                       source_id="t", received_at=NOW)  # fmt: skip
    with pytest.raises(Rejection, match="no UTC instant") as caught:
        validate(RecordKind.HITS, value, "510000")
    assert caught.value.reason.value == "implausible_time"


def test_a_validator_that_fails_unexpectedly_rejects_the_record_as_a_processing_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(data: bytes) -> None:
        raise OverflowError("date value out of range")

    monkeypatch.setitem(validate_module._BY_KIND, RecordKind.HITS, broken)
    with pytest.raises(Rejection, match="OverflowError: date value out of range") as caught:
        validate(RecordKind.HITS, {"plate": "川A12345"}, "510000")
    assert caught.value.reason.value == "processing_error"
