"""Type-checked, never run: every resource method of ``Client`` and ``AsyncClient`` returns its
concrete class, and the models' fields have the official client's types.

    mypy --strict and pyright (strict) must pass on this file; see bindings-python/pyproject.toml.

A ``# type: ignore`` here marks a line that must *fail* to type-check: both checkers report an
unneeded one as an error.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Coroutine, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ticksupply import (
    APIError,
    AsyncClient,
    Client,
    ExportData,
    ExportFailedError,
    NotFoundError,
    RateLimitError,
)
from ticksupply.exceptions import ERROR_CODE_MAP, raise_for_error_response
from ticksupply.models import (
    AccessStatus,
    ArtifactDownload,
    AvailabilityRange,
    AvailabilityResponse,
    BillingSummary,
    BillingUsage,
    CreateSchemaColumnRequest,
    DatastreamInfo,
    DeriveArrayInput,
    DeriveField,
    Exchange,
    ExchangeExtractor,
    ExportDownloadResponse,
    ExportJob,
    ExportSchemaListItem,
    ExportSchemaWithVersion,
    ExportStatus,
    Instrument,
    JsonExtraction,
    MetaExtraction,
    ModelList,
    PaginatedDatastreams,
    PaginatedExportJobs,
    PaginatedInstruments,
    PaginatedSubscriptions,
    RateLimit,
    StreamCategory,
    Subscription,
    SubscriptionResponse,
    SubscriptionSpan,
    SubscriptionStatus,
    UnfoldConfig,
)

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type

COLUMNS = [
    CreateSchemaColumnRequest(
        output_column="ts", meta=MetaExtraction(value="collection_timestamp_ns", format="iso8601")
    ),
    CreateSchemaColumnRequest(
        output_column="price",
        data={"binance": ExchangeExtractor(json=JsonExtraction(path="data.p", type="decimal(18)"))},
    ),
]
DICT_COLUMNS: list[dict[str, Any]] = [
    {"output_column": "qty", "data": {"binance": {"json": {"path": "q", "type": "f64"}}}}
]
UNFOLD = {"binance": UnfoldConfig(path="data")}
DERIVE = {
    "binance": [
        DeriveField(
            field="levels",
            op="tagged_concat",
            arrays=[DeriveArrayInput(path="b", tag="bid"), DeriveArrayInput(path="a", tag="ask")],
            tag_field="side",
            value_field="level",
        )
    ]
}


def sync_client(c: Client) -> None:
    # exchanges
    exchanges = c.exchanges.list()
    assert_type(exchanges, ModelList[Exchange])
    assert_type(exchanges[0], Exchange)
    assert_type(exchanges.request_id, "str | None")
    assert_type(exchanges.rate_limit, RateLimit)
    page = c.exchanges.list_instruments(
        "binance", search="BTC", base="BTC", quote="USDT", instrument_type="spot", limit=10
    )
    assert_type(page, PaginatedInstruments)
    assert_type(page.items, list[Instrument])
    assert_type(page.next_page_token, "str | None")
    assert_type(page.has_next, bool)
    assert_type(page.total, int)
    assert_type(c.exchanges.list_instruments("binance", page_token=page.next_page_token), PaginatedInstruments)
    assert_type(
        c.exchanges.list_datastreams("binance", "BTCUSDT", stream_type="trades", wire_format="json"),
        PaginatedDatastreams,
    )
    assert_type(c.exchanges.list_all_instruments("binance", search="BTC", limit=500), Iterator[Instrument])
    assert_type(c.exchanges.list_all_datastreams("kraken", "XBT/USD", stream_type="trades"), Iterator[DatastreamInfo])
    # datastreams
    ds = c.datastreams.list(exchange="binance", instrument="BTCUSDT", stream_type="trades", limit=5)
    assert_type(ds, PaginatedDatastreams)
    assert_type(ds.items[0].datastream_id, int)
    assert_type(c.datastreams.list_all(exchange="kraken", limit=7), Iterator[DatastreamInfo])
    # subscriptions
    sub = c.subscriptions.create(1, idempotency_key="6a1f0c5e-0000-4000-8000-000000000000")
    assert_type(sub, SubscriptionResponse)
    assert_type(sub.datastream, DatastreamInfo)
    assert_type(sub.spans, list[SubscriptionSpan])
    got = c.subscriptions.get(sub.id)
    assert_type(got, Subscription)
    assert_type(got.status, "SubscriptionStatus | str")
    assert_type(got.created_at, datetime)
    assert_type(got.datastream, "DatastreamInfo | None")
    assert_type(c.subscriptions.list(limit=10, page_token=None), PaginatedSubscriptions)
    assert_type(c.subscriptions.list_all(limit=50), Iterator[Subscription])
    spans = c.subscriptions.list_spans(sub.id)
    assert_type(spans, ModelList[SubscriptionSpan])
    assert_type(spans[0].ended_at, "datetime | None")
    assert_type(c.subscriptions.pause(sub.id), None)
    assert_type(c.subscriptions.resume(sub.id, idempotency_key="k"), None)
    assert_type(c.subscriptions.delete(sub.id), None)
    # exports
    now = datetime.now(timezone.utc)
    job = c.exports.create(1, now, 1_704_067_200_000_000_000, schema="normalized", format="parquet", format_options={})
    assert_type(job, ExportJob)
    assert_type(c.exports.get("x"), ExportJob)
    assert_type(job.status, "ExportStatus | str")
    assert_type(job.start_time, int)
    assert_type(job.reason, "str | None")
    assert_type(job.finished_at, "datetime | None")
    inline = c.exports.create(
        1, "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", schema={"columns": COLUMNS, "unfold": UNFOLD}
    )
    assert_type(inline, ExportJob)
    assert_type(c.exports.list(limit=10), PaginatedExportJobs)
    assert_type(c.exports.list_all(), Iterator[ExportJob])
    download = c.exports.get_download(job.id)
    assert_type(download, ExportDownloadResponse)
    assert_type(download.artifacts, list[ArtifactDownload])
    assert_type(download.url, "str | None")
    assert_type(download.is_single_file, bool)
    assert_type(c.exports.wait(job.id, timeout=60, poll_interval=0.5), ExportJob)
    assert_type(c.exports.download(job.id, Path("/tmp/x"), lambda done, total: None, overwrite=True), list[Path])
    assert_type(c.exports.download(job.id, "/tmp/x", True, concurrency=2), list[Path])
    assert_type(c.exports.iter_rows(job.id), Iterator[dict[str, str]])
    assert_type(c.exports.data(job.id), ExportData)
    assert_type(c.exports.data(job.id, schema={"columns": COLUMNS}), ExportData)
    assert_type(c.exports.cancel(job.id), None)
    assert_type(c.exports.delete(job.id, idempotency_key="k"), None)
    # export schemas
    listed = c.export_schemas.list()
    assert_type(listed, ModelList[ExportSchemaListItem])
    assert_type(listed[0].stream_category, "StreamCategory | str")
    schema = c.export_schemas.create("mine", StreamCategory.TRADE, COLUMNS, unfold=UNFOLD, derive=DERIVE)
    assert_type(schema, ExportSchemaWithVersion)
    assert_type(schema.columns, list[CreateSchemaColumnRequest])
    assert_type(schema.unfold, "dict[str, UnfoldConfig] | None")
    assert_type(schema.derive, "dict[str, list[DeriveField]] | None")
    assert_type(c.export_schemas.create("plain", "trade", DICT_COLUMNS), ExportSchemaWithVersion)
    assert_type(c.export_schemas.get(schema.id), ExportSchemaWithVersion)
    assert_type(c.export_schemas.update(schema.id, [*COLUMNS, *DICT_COLUMNS]), ExportSchemaWithVersion)
    assert_type(c.export_schemas.create_draft(schema.id), ExportSchemaWithVersion)
    assert_type(c.export_schemas.create_draft(schema.id, columns=COLUMNS, idempotency_key="k"), ExportSchemaWithVersion)
    assert_type(c.export_schemas.get_draft(schema.id), ExportSchemaWithVersion)
    assert_type(c.export_schemas.update_draft(schema.id, COLUMNS, derive=None), ExportSchemaWithVersion)
    assert_type(c.export_schemas.discard_draft(schema.id), None)
    assert_type(c.export_schemas.publish_draft(schema.id), ExportSchemaWithVersion)
    assert_type(c.export_schemas.delete(schema.id), None)
    assert_type(c.exports.data(job.id, schema=schema), ExportData)
    # availability and billing
    avail = c.availability.get(1)
    assert_type(avail, AvailabilityResponse)
    assert_type(avail.ranges, list[AvailabilityRange])
    assert_type(avail.ranges[0].from_ns, int)
    assert_type(avail.updated_at, datetime)
    summary = c.billing.get_summary()
    assert_type(summary, BillingSummary)
    assert_type(summary.access_status, "AccessStatus | str")
    assert_type(summary.usage, BillingUsage)
    assert_type(summary.usage.export_gb_total_decimal, Decimal)
    assert_type(summary.grace_until, "datetime | None")
    # the client itself
    assert_type(c.with_options(timeout=5, max_retries=0), Client)
    assert_type(c.api_key, str)
    c.api_key = "ts_new_key"
    with Client() as scoped:
        assert_type(scoped, Client)

    _ = job.stauts  # type: ignore[attr-defined]  # a typo is a type error
    c.exports.get(42)  # type: ignore[arg-type]
    job.status = ExportStatus.FAILED  # type: ignore[misc]  # results are read-only


async def async_client(c: AsyncClient) -> None:
    pending: Coroutine[Any, Any, ExportJob] = c.exports.get("x")  # awaitable, of an ExportJob
    assert_type(await pending, ExportJob)
    # exchanges
    assert_type(await c.exchanges.list(), ModelList[Exchange])
    assert_type(await c.exchanges.list_instruments("binance", search="BTC", limit=10), PaginatedInstruments)
    assert_type(await c.exchanges.list_datastreams("binance", "BTCUSDT"), PaginatedDatastreams)
    assert_type(c.exchanges.list_all_instruments("binance"), AsyncIterator[Instrument])
    assert_type(c.exchanges.list_all_datastreams("binance", "BTCUSDT"), AsyncIterator[DatastreamInfo])
    async for instrument in c.exchanges.list_all_instruments("binance", search="BTC"):
        assert_type(instrument.symbol, str)
    # datastreams
    assert_type(await c.datastreams.list(exchange="binance"), PaginatedDatastreams)
    assert_type(c.datastreams.list_all(exchange="binance"), AsyncIterator[DatastreamInfo])
    # subscriptions
    sub = await c.subscriptions.create(1)
    assert_type(sub, SubscriptionResponse)
    assert_type(await c.subscriptions.get(sub.id), Subscription)
    assert_type(await c.subscriptions.list(), PaginatedSubscriptions)
    assert_type(c.subscriptions.list_all(), AsyncIterator[Subscription])
    assert_type(await c.subscriptions.list_spans(sub.id), ModelList[SubscriptionSpan])
    assert_type(await c.subscriptions.pause(sub.id), None)
    assert_type(await c.subscriptions.resume(sub.id), None)
    assert_type(await c.subscriptions.delete(sub.id), None)
    # exports
    job = await c.exports.create(1, 0, 10**9, schema={"columns": DICT_COLUMNS})
    assert_type(job, ExportJob)
    assert_type(await c.exports.list(), PaginatedExportJobs)
    assert_type(c.exports.list_all(limit=10), AsyncIterator[ExportJob])
    assert_type(await c.exports.get_download(job.id), ExportDownloadResponse)
    assert_type(await c.exports.wait(job.id), ExportJob)
    assert_type(await c.exports.download(job.id, "/tmp/x"), list[Path])
    assert_type(c.exports.iter_rows(job.id), AsyncIterator[dict[str, str]])
    assert_type(await c.exports.data(job.id, schema="normalized"), ExportData)
    assert_type(await c.exports.cancel(job.id), None)
    assert_type(await c.exports.delete(job.id), None)
    # export schemas
    assert_type(await c.export_schemas.list(), ModelList[ExportSchemaListItem])
    schema = await c.export_schemas.create("mine", "trade", COLUMNS)
    assert_type(schema, ExportSchemaWithVersion)
    assert_type(await c.export_schemas.get(schema.id), ExportSchemaWithVersion)
    assert_type(await c.export_schemas.update(schema.id, COLUMNS), ExportSchemaWithVersion)
    assert_type(await c.export_schemas.create_draft(schema.id), ExportSchemaWithVersion)
    assert_type(await c.export_schemas.get_draft(schema.id), ExportSchemaWithVersion)
    assert_type(await c.export_schemas.update_draft(schema.id, COLUMNS), ExportSchemaWithVersion)
    assert_type(await c.export_schemas.discard_draft(schema.id), None)
    assert_type(await c.export_schemas.publish_draft(schema.id), ExportSchemaWithVersion)
    assert_type(await c.export_schemas.delete(schema.id), None)
    # availability and billing
    assert_type(await c.availability.get(1), AvailabilityResponse)
    assert_type(await c.billing.get_summary(), BillingSummary)
    # the client itself
    assert_type(c.with_options(max_retries=1), AsyncClient)
    async with AsyncClient() as scoped:
        assert_type(scoped, AsyncClient)
    await c.aclose()

    await c.exports.list_all()  # type: ignore[misc]  # an async iterator, not an awaitable


def models_and_errors() -> None:
    job = ExportJob.model_validate({"id": "exp_1"})
    assert_type(job, ExportJob)
    assert_type(ExportJob.model_validate_json("{}"), ExportJob)
    assert_type(job.model_dump(), dict[str, Any])
    assert_type(job.model_dump(mode="json", by_alias=True, exclude_none=True), dict[str, Any])
    assert_type(job.model_dump_json(indent=2), str)
    assert_type(job.model_copy(update={"status": "failed"}), ExportJob)
    assert_type(job.model_extra, dict[str, Any])
    assert_type(job.to_dict(), dict[str, Any])
    assert_type(job.request_id, "str | None")
    assert_type(job.rate_limit, "RateLimit | None")
    if job.status == ExportStatus.SUCCEEDED:
        pass
    status: ExportStatus | str = job.status
    value: str = ExportStatus.QUEUED.value
    assert_type(SubscriptionStatus("active"), SubscriptionStatus)
    assert_type(AccessStatus.GRACE, Literal[AccessStatus.GRACE])
    assert_type(MetaExtraction(value="collection_timestamp_ns").format, Literal["ns", "us", "ms", "s", "iso8601"])
    assert_type(ExchangeExtractor(json=JsonExtraction(path="p", type="f64")).json_, "JsonExtraction | None")
    assert_type(AvailabilityRange.model_validate({"from": 1, "to": 2, "rows_estimate": 0}).to_ns, int)
    print(status, value)

    MetaExtraction(value="collection_timestamp_ns", format="hours")  # type: ignore[arg-type]
    JsonExtraction(path="p")  # type: ignore[call-arg]

    try:
        raise_for_error_response(404, "not_found", "no such export", request_id="req_1")
    except NotFoundError as e:
        assert_type(e.http_status, "int | None")
    except RateLimitError as e:
        assert_type(e.retry_after, "int | None")
    except ExportFailedError as e:
        assert_type(e.reason, "str | None")
    assert_type(ERROR_CODE_MAP["not_found"], type[APIError])
