"""The HF spot, HF margin, futures and unified rows, from the official spec's own examples, and every business
type's kind: exact amounts, real running balances, prefixed ids, one warning per unknown name."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from ledgerport_kucoin import answers
from ledgerport_kucoin.kinds import FUTURES_TYPES, LEDGER_CODES, LIVE_NAMES, UNIFIED_TYPES
from ledgerport_kucoin.mapping import BIZ_TYPES, kind_of
from ledgerport_kucoin.records import ledger_entry, unified_entry
from ledgerport_kucoin.settings import Settings
from ledgerport_kucoin.streams import FuturesLedger, HfSpotLedger

from ledgerport import BadRecordError, Kind, PageRequest, Secret, Window

# x-response-example of /api/v1/hf/accounts/ledgers in spec/rest/api/openapi-account-account.json
HF_EXAMPLE = {
    "id": "254062248624417",
    "currency": "USDT",
    "amount": "1.59760080",
    "fee": "0.00159920",
    "tax": "0",
    "balance": "26.73759503",
    "accountType": "TRADE_HF",
    "bizType": "TRADE_EXCHANGE",
    "direction": "in",
    "createdAt": "1728443957539",
    "context": '{"symbol":"KCS-USDT","orderId":"6705f6350dc7210007d6a36d","tradeId":"10046097631627265"}',
}
# of /api/v3/hf/margin/account/ledgers
MARGIN_EXAMPLE = json.loads(
    '{"id":1949641706720,"currency":"USDT","amount":"0.01000000","fee":"0.00000000","balance":"0.01000000",'
    '"accountType":"MARGIN_V2","bizType":"TRANSFER","direction":"in","createdAt":1728664091208,"context":"{}",'
    '"tax":"0.00000000"}'
)
# of /api/v1/transaction-history (its numbers are JSON numbers), with the Pending row domain.md describes
FUTURES_ANSWER = (
    b'{"code":"200000","data":{"dataList":['
    b'{"time":1728666000000,"type":"RealisedPNL","amount":-1.7105e-05,"fee":null,"accountEquity":14.02924938,'
    b'"status":"Pending","remark":"XBTUSDTM","offset":-1,"currency":"USDT"},'
    b'{"time":1728665747000,"type":"TransferIn","amount":0.01,"fee":0.0,"accountEquity":14.02924938,'
    b'"status":"Completed","remark":"Transferred from High-Frequency Trading Account","offset":51360793,'
    b'"currency":"USDT"},'
    b'{"time":1728648000000,"type":"RealisedPNL","amount":-1.7105e-05,"fee":0.0,"accountEquity":20.0,'
    b'"status":"Completed","remark":"XBTUSDTM","offset":51352430,"currency":"XBT"}'
    b'],"hasMore":false}}'
)
UNIFIED_ROW = {
    "id": "10000042",
    "accountType": "UNIFIED",
    "currency": "USDT",
    "direction": "OUT",
    "businessType": "LIABILITY_INTEREST",
    "amount": "0.000123",
    "fee": "0",
    "tax": "0",
    "balance": "99.876543",
    "remark": "",
    "ts": "1767225600123456789",
}
SETTINGS = Settings(api_key=Secret("k"), api_secret=Secret("s"), api_passphrase=Secret("p"))


def test_an_hf_spot_row_keeps_its_net_amount_its_fee_and_its_running_balance() -> None:
    entry = ledger_entry(HF_EXAMPLE, "acc", "hf", set())
    assert (entry.entry_id, entry.timestamp) == ("hf:254062248624417", datetime(2024, 10, 9, 3, 19, 17, 539000, UTC))
    assert (entry.amount, entry.fee, entry.balance) == (
        Decimal("1.59760080"),
        Decimal("0.00159920"),
        Decimal("26.73759503"),
    )
    assert entry.amount + entry.fee == Decimal("1.5992")  # the gross the trade brought in
    assert (entry.kind, entry.sub_account, entry.group_id) == (Kind.TRADE, "TRADE_HF", "10046097631627265")
    assert entry.description == "TRADE_EXCHANGE KCS-USDT"


def test_an_hf_margin_row_has_integer_ids_and_times() -> None:
    entry = ledger_entry(MARGIN_EXAMPLE, "acc", "margin", set())
    assert (entry.entry_id, entry.amount, entry.balance) == ("margin:1949641706720", Decimal("0.01"), Decimal("0.01"))
    assert (entry.kind, entry.sub_account, entry.group_id) == (Kind.TRANSFER, "MARGIN_V2", "")
    assert entry.timestamp == datetime(2024, 10, 11, 16, 28, 11, 208000, UTC)


def test_a_fee_refund_joins_its_trade() -> None:
    refund = ledger_entry({**HF_EXAMPLE, "id": "254062248624418", "bizType": "RETURNED_FEES"}, "acc", "hf", set())
    assert (refund.kind, refund.group_id) == (Kind.FEE, ledger_entry(HF_EXAMPLE, "acc", "hf", set()).group_id)


def test_futures_numbers_are_read_exactly_and_the_pending_row_is_not_booked() -> None:
    request = PageRequest(path="https://api-futures.kucoin.com/api/v1/transaction-history", pool="futures")
    page = answers.read_futures(request, httpx.Response(200, content=FUTURES_ANSWER))
    stream = FuturesLedger(SETTINGS, "acc", base_url="https://api.kucoin.com")
    entries = [entry for record in page.records for entry in stream.map_record(record)]
    assert [e.entry_id for e in entries] == ["futures:51360793", "futures:51352430"]
    transfer, pnl = entries
    assert (transfer.amount, transfer.fee, transfer.kind, transfer.balance) == (Decimal("0.01"), 0, Kind.TRANSFER, None)
    assert str(pnl.amount) == "-0.000017105" and pnl.amount == Decimal("-1.7105e-05")  # not a float's -1.7105e-05
    assert (pnl.asset, pnl.sub_account, pnl.kind) == ("BTC", "FUTURES", Kind.TRADE)  # XBT is the books' BTC
    assert page.cursor is False and stream.currencies == {"USDT", "XBT"}
    assert (
        stream.next_request(Window(datetime(2024, 10, 11, tzinfo=UTC), datetime(2024, 10, 12, tzinfo=UTC)), page)
        is None
    )


def test_a_unified_row_is_signed_by_its_direction_and_keeps_its_nanosecond_time_to_the_microsecond() -> None:
    entry = unified_entry(UNIFIED_ROW, "acc", set())
    assert (entry.entry_id, entry.amount, entry.balance) == ("uta:10000042", Decimal("-0.000123"), Decimal("99.876543"))
    assert entry.timestamp == datetime(2026, 1, 1, 0, 0, 0, 123456, UTC)
    assert (entry.kind, entry.sub_account) == (Kind.INTEREST, "UNIFIED")


@pytest.mark.parametrize(
    ("record", "field"),
    [({**HF_EXAMPLE, "amount": 1.5976008}, "amount"), ({**HF_EXAMPLE, "createdAt": "soon"}, "createdAt")],
)
def test_a_malformed_hf_row_names_its_field(record: dict[str, Any], field: str) -> None:
    with pytest.raises(BadRecordError) as info:
        ledger_entry(record, "acc", "hf", set())
    assert (info.value.field, info.value.record_id) == (field, "254062248624417")


def test_every_known_business_type_has_a_meaningful_kind() -> None:
    names = [*BIZ_TYPES, *LEDGER_CODES, *FUTURES_TYPES, *UNIFIED_TYPES, *LIVE_NAMES]
    assert [name for name, kind in names if kind is Kind.OTHER] == ["OTHER"]  # HF's own catch-all code
    assert all(kind_of(name) is kind for name, kind in names if name not in ("TRADE_EXCHANGE", "TRANSFER"))
    lending = {name: kind_of(name) for name in ("Lendings", "KuCoin Earn Profits", "LIABILITY_INTEREST", "Staking")}
    assert lending == {
        "Lendings": Kind.TRANSFER,
        "KuCoin Earn Profits": Kind.INTEREST,
        "LIABILITY_INTEREST": Kind.INTEREST,
        "Staking": Kind.TRANSFER,
    }


def test_an_unknown_name_is_warned_about_once_per_sync_not_per_record(caplog: pytest.LogCaptureFixture) -> None:
    stream = HfSpotLedger(SETTINGS, "acc")
    with caplog.at_level(logging.WARNING, logger="ledgerport.kucoin"):
        kinds = [stream.map_record({**HF_EXAMPLE, "id": str(n), "bizType": "MOON_FEES"})[0].kind for n in range(5)]
    assert kinds == [Kind.OTHER] * 5
    assert caplog.text.count("unknown bizType 'MOON_FEES'") == 1
