"""Typed results: the official classes, enums that are strings, unknown fields and values kept,
pydantic's methods, and the classes each resource method returns (against ticksupply-mock)."""

from __future__ import annotations

import asyncio
import inspect
import json
import pickle
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import ticksupply.resources as resources
from ticksupply import AsyncClient, Client
from ticksupply.models import (
    AccessStatus,
    AvailabilityRange,
    AvailabilityResponse,
    BillingSummary,
    CreateSchemaColumnRequest,
    DatastreamInfo,
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
    StreamCategory,
    Subscription,
    SubscriptionResponse,
    SubscriptionSpan,
    SubscriptionStatus,
)

# 2024-01-01T00:00:00Z in nanoseconds: collected data (an export of 1970 holds no row).
HOUR_2024 = 1_704_067_200 * 10**9

JOB = {
    "id": "exp_1",
    "datastream_id": 7,
    "start_time": 1_704_067_200_123_456_789,
    "end_time": 1_704_067_300_000_000_000,
    "format": "csv",
    "format_options": {},
    "status": "succeeded",
    "created_at": "2026-01-01T00:00:00.123456Z",
    "started_at": "2026-01-01T00:00:01Z",
    "finished_at": None,
}


def test_enums_are_strings_equal_to_the_apis_values():
    assert ExportStatus.SUCCEEDED == "succeeded" and isinstance(ExportStatus.QUEUED, str)
    assert SubscriptionStatus("paused") is SubscriptionStatus.PAUSED
    assert StreamCategory.BOOK_UPDATE == "book_update" and AccessStatus.GRACE == "GRACE"
    assert f"{ExportStatus.RUNNING}" == "running" and str(AccessStatus.ACTIVE) == "ACTIVE"
    assert json.dumps({"s": StreamCategory.TRADE}) == '{"s": "trade"}'
    assert [s.value for s in ExportStatus] == ["queued", "running", "succeeded", "failed", "canceled", "deleted"]


def test_fields_are_typed_on_access():
    job = ExportJob.model_validate(JOB)
    assert job.status is ExportStatus.SUCCEEDED and job.status == "succeeded"
    assert job.created_at == datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=timezone.utc)
    assert job.finished_at is None and job.reason is None
    assert job.start_time == 1_704_067_200_123_456_789  # exact nanoseconds
    nanos = ExportJob.model_validate({**JOB, "created_at": "2026-01-01T00:00:00.123456789Z"})
    assert nanos.created_at.microsecond == 123456
    r = AvailabilityRange.model_validate({"from": 1, "to": 2, "rows_estimate": 3})
    assert (r.from_ns, r.to_ns) == (1, 2)
    usage = BillingSummary.model_validate(
        {
            "access_status": "ACTIVE",
            "usage": {"extra_stream_minutes_total": 0, "export_gb_total": "12.5", "export_gb_extra": 0},
        }
    )
    assert usage.usage.export_gb_total_decimal == Decimal("12.5") and usage.plan_code is None
    assert usage.access_status is AccessStatus.ACTIVE


def test_unknown_enum_values_and_fields_are_kept():
    job = ExportJob.model_validate({**JOB, "status": "archived", "shiny": {"depth": [1, 2]}})
    assert job.status == "archived" and type(job.status) is str
    assert job.shiny.depth == [1, 2]  # attribute access at run time
    assert job.model_extra == {"shiny": {"depth": [1, 2]}}
    assert job.model_dump()["shiny"] == {"depth": [1, 2]} and job.to_dict()["shiny"] == {"depth": [1, 2]}
    assert json.loads(job.model_dump_json())["status"] == "archived"
    with pytest.raises(AttributeError):
        job.nothing_like_this  # noqa: B018
    sub = Subscription.model_validate({"id": "sub_1", "datastream_id": 1, "status": 3, "created_at": "not a date"})
    assert sub.status == 3 and sub.created_at == "not a date"  # odd values come through, never raise


def test_model_dump_and_validate_round_trip():
    job = ExportJob.model_validate(JOB)
    py = job.model_dump()
    assert py["status"] is ExportStatus.SUCCEEDED and isinstance(py["created_at"], datetime)
    assert ExportJob.model_validate(py).model_dump() == py
    as_json = job.model_dump(mode="json")
    assert as_json == {**JOB, "reason": None}  # every declared field; times as the API sent them
    assert ExportJob.model_validate(as_json).model_dump(mode="json") == as_json
    assert ExportJob.model_validate_json(job.model_dump_json()) == ExportJob.model_validate(as_json)
    assert job.model_dump(exclude_none=True, include={"id", "reason", "status"}) == {
        "id": "exp_1",
        "status": ExportStatus.SUCCEEDED,
    }
    assert job.model_dump(exclude_unset=True).keys() == JOB.keys()
    r = AvailabilityRange.model_validate({"from": 1, "to": 2, "rows_estimate": 3})
    assert r.model_dump() == {"from_ns": 1, "to_ns": 2, "rows_estimate": 3}
    assert r.model_dump(by_alias=True) == {"from": 1, "to": 2, "rows_estimate": 3}
    assert AvailabilityRange.model_validate(r.model_dump()) == r  # field names accepted too
    nested = AvailabilityResponse.model_validate(
        {
            "datastream": DatastreamInfo(
                datastream_id=1, exchange="b", instrument="X", stream_type="t", wire_format="json"
            ),
            "ranges": [r],
            "updated_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
        }
    )
    assert nested.to_dict()["updated_at"] == "2026-01-01T00:00:00Z" and nested.ranges[0] == r
    assert nested.ranges is nested.ranges  # nested values are built once


def test_request_models_dump_as_the_api_wants():
    col = CreateSchemaColumnRequest(
        output_column="price",
        data={"binance": ExchangeExtractor(json=JsonExtraction(path="data.p", type="decimal(18)"))},
    )
    assert col.model_dump(by_alias=True, exclude_none=True) == {
        "output_column": "price",
        "data": {"binance": {"json": {"path": "data.p", "type": "decimal(18)"}}},
    }
    assert col.data is not None and col.data["binance"].json_ == JsonExtraction(path="data.p", type="decimal(18)")
    ts = CreateSchemaColumnRequest(output_column="ts", meta=MetaExtraction(value="collection_timestamp_ns"))
    assert ts.model_dump(by_alias=True, exclude_none=True)["meta"] == {
        "value": "collection_timestamp_ns",
        "format": "ns",
    }
    assert ExchangeExtractor(json_=JsonExtraction(path="p", type="f64")) == ExchangeExtractor.model_validate(
        {"json": {"path": "p", "type": "f64"}}
    )
    with pytest.raises(TypeError, match="output_column"):
        CreateSchemaColumnRequest()  # type: ignore[call-arg]


def test_equality_hash_repr_and_pickle():
    a, b = ExportJob.model_validate(JOB), ExportJob.model_validate(dict(JOB))
    assert a == b and hash(a) == hash(b) and a != ExportJob.model_validate({**JOB, "id": "exp_2"})
    assert a == JOB  # as before: a result equals the dict it came from
    assert len({a, b}) == 1
    text = repr(a)
    assert text.startswith("ExportJob(id='exp_1', datastream_id=7,") and "ExportStatus.SUCCEEDED" in text
    back = pickle.loads(pickle.dumps(a))
    assert back == a and type(back) is ExportJob
    with pytest.raises(AttributeError):
        a.id = "x"  # type: ignore[misc]


def test_results_are_small_objects():
    import ticksupply.models as models

    classes = [getattr(models, n) for n in models.__all__ if isinstance(getattr(models, n), type)]
    for cls in classes:
        if issubclass(cls, models.BaseAPIModel):
            assert all("__slots__" in vars(k) for k in cls.__mro__[:-1]), cls.__name__
    assert not hasattr(ExportJob.model_validate(JOB), "__dict__")


def test_sync_and_async_resources_take_the_same_arguments():
    pairs = [
        (getattr(resources, n), getattr(resources, "Async" + n)) for n in resources.__all__ if not n.startswith("Async")
    ]
    assert len(pairs) == 7
    for sync, asyn in pairs:
        methods = {n for n in vars(sync) if not n.startswith("_")}
        assert methods == {n for n in vars(asyn) if not n.startswith("_")}, sync.__name__
        for name in methods:
            s, a = inspect.signature(getattr(sync, name)), inspect.signature(getattr(asyn, name))
            assert list(s.parameters.values()) == list(a.parameters.values()), f"{sync.__name__}.{name}"


def test_every_resource_method_returns_its_class(mock, key, tmp_path):
    c = Client(api_key=key, base_url=mock.base_url)
    exchanges = c.exchanges.list()
    assert isinstance(exchanges, ModelList) and all(isinstance(e, Exchange) for e in exchanges)
    instruments = c.exchanges.list_instruments("binance", limit=3)
    assert isinstance(instruments, PaginatedInstruments) and isinstance(instruments.items[0], Instrument)
    assert instruments.request_id and instruments.rate_limit is not None and instruments.has_next
    assert isinstance(next(c.exchanges.list_all_instruments("binance", limit=3)), Instrument)
    assert isinstance(c.exchanges.list_datastreams("binance", "BTCUSDT"), PaginatedDatastreams)
    assert isinstance(next(c.exchanges.list_all_datastreams("binance", "BTCUSDT")), DatastreamInfo)
    page = c.datastreams.list(exchange="binance", limit=2)
    assert isinstance(page, PaginatedDatastreams) and isinstance(page.items[0], DatastreamInfo)
    assert isinstance(next(c.datastreams.list_all(exchange="binance")), DatastreamInfo)

    sub = c.subscriptions.create(1)
    assert isinstance(sub, SubscriptionResponse) and isinstance(sub.datastream, DatastreamInfo)
    assert sub.status is SubscriptionStatus.ACTIVE and sub.spans == []
    got = c.subscriptions.get(sub.id)
    assert isinstance(got, Subscription) and got.datastream_id == 1
    assert isinstance(c.subscriptions.list(), PaginatedSubscriptions)
    assert isinstance(next(c.subscriptions.list_all()), Subscription)
    spans = c.subscriptions.list_spans(sub.id)
    assert isinstance(spans, ModelList) and isinstance(spans[0], SubscriptionSpan) and spans.request_id

    schema_cols = [
        CreateSchemaColumnRequest(output_column="ts", meta=MetaExtraction(value="collection_timestamp_ns")),
        CreateSchemaColumnRequest(
            output_column="price",
            data={"binance": ExchangeExtractor(json=JsonExtraction(path="p", type="decimal(18)"))},
        ),
    ]
    schema = c.export_schemas.create("typed", StreamCategory.TRADE, schema_cols)
    assert isinstance(schema, ExportSchemaWithVersion) and schema.stream_category is StreamCategory.TRADE
    assert schema.columns[0] == CreateSchemaColumnRequest.model_validate(schema.to_dict()["columns"][0])
    assert schema.columns[0].meta == MetaExtraction(value="collection_timestamp_ns", format="ns")
    assert schema.columns[1].data is not None and schema.columns[1].data["binance"].json_ is not None
    assert isinstance(c.export_schemas.get(schema.id), ExportSchemaWithVersion)
    assert isinstance(c.export_schemas.update(schema.id, schema.columns), ExportSchemaWithVersion)
    assert isinstance(c.export_schemas.create_draft(schema.id), ExportSchemaWithVersion)
    assert isinstance(c.export_schemas.get_draft(schema.id), ExportSchemaWithVersion)
    assert isinstance(c.export_schemas.update_draft(schema.id, schema_cols), ExportSchemaWithVersion)
    assert c.export_schemas.discard_draft(schema.id) is None
    c.export_schemas.create_draft(schema.id)
    assert c.export_schemas.publish_draft(schema.id).version == 3
    listed = c.export_schemas.list()
    assert isinstance(listed, ModelList) and all(isinstance(s, ExportSchemaListItem) for s in listed)

    job = c.exports.create(1, HOUR_2024, HOUR_2024 + 10**10, schema={"columns": schema_cols})
    assert isinstance(job, ExportJob) and isinstance(c.exports.get(job.id), ExportJob)
    done = c.exports.wait(job.id, timeout=10, poll_interval=0.05)
    assert isinstance(done, ExportJob) and done.status is ExportStatus.SUCCEEDED
    assert isinstance(c.exports.list(), PaginatedExportJobs) and isinstance(next(c.exports.list_all()), ExportJob)
    download = c.exports.get_download(job.id)
    assert isinstance(download, ExportDownloadResponse) and download.artifacts[0].bytes > 0
    assert c.exports.data(job.id, schema={"columns": schema_cols}).column_names == ["ts", "price"]
    assert c.exports.data(job.id, schema=c.export_schemas.get(schema.id)).column_names == ["ts", "price"]
    assert len(c.exports.download(job.id, tmp_path)) == download.count
    assert c.exports.delete(job.id) is None
    other = c.exports.create(1, HOUR_2024, HOUR_2024 + 10**10)
    assert c.exports.cancel(other.id) is None
    assert isinstance(c.availability.get(1), AvailabilityResponse)
    assert isinstance(c.billing.get_summary(), BillingSummary)
    assert c.subscriptions.pause(sub.id) is None and c.subscriptions.resume(sub.id) is None
    assert c.subscriptions.delete(sub.id) is None
    assert c.export_schemas.delete(schema.id) is None


def test_async_methods_return_the_same_classes(mock, key):
    async def main() -> None:
        async with AsyncClient(api_key=key, base_url=mock.base_url) as c:
            sub = await c.subscriptions.create(2)
            job = await c.exports.create(2, 0, 10**9)
            got = await c.exports.get(job.id)
            assert isinstance(got, ExportJob) and got == await c.exports.get(job.id)
            assert isinstance(sub, SubscriptionResponse)
            assert isinstance(await c.exchanges.list_instruments("kraken", limit=2), PaginatedInstruments)
            assert [s async for s in c.subscriptions.list_all()][0].id == sub.id
            assert isinstance(await c.billing.get_summary(), BillingSummary)

    asyncio.run(main())
