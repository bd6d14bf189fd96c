"""The API's objects as typed result classes, with the official client's names.

Every result is read-only, carries the ``request_id`` and ``rate_limit`` of its response, keeps
fields this version does not know, and has pydantic's ``model_dump()``, ``model_dump_json()``,
``model_validate()`` and ``model_validate_json()``.
"""

from __future__ import annotations

from ticksupply._models import BaseAPIModel, ModelList, RateLimit
from ticksupply.models.billing import AccessStatus, BillingSummary, BillingUsage
from ticksupply.models.catalog import (
    DatastreamInfo,
    Exchange,
    Instrument,
    PaginatedDatastreams,
    PaginatedInstruments,
)
from ticksupply.models.common import ErrorDetail, ErrorResponse
from ticksupply.models.export import (
    ArtifactDownload,
    AvailabilityRange,
    AvailabilityResponse,
    ExportDownloadResponse,
    ExportJob,
    ExportStatus,
    PaginatedExportJobs,
)
from ticksupply.models.schema import (
    CreateSchemaColumnRequest,
    DeriveArrayInput,
    DeriveField,
    ExchangeExtractor,
    ExportSchema,
    ExportSchemaListItem,
    ExportSchemaWithVersion,
    JsonExtraction,
    MetaExtraction,
    StreamCategory,
    UnfoldConfig,
)
from ticksupply.models.subscription import (
    PaginatedSubscriptions,
    Subscription,
    SubscriptionResponse,
    SubscriptionSpan,
    SubscriptionStatus,
)

__all__ = [
    # Common
    "ErrorDetail",
    "ErrorResponse",
    # Catalog
    "Exchange",
    "Instrument",
    "PaginatedInstruments",
    "DatastreamInfo",
    "PaginatedDatastreams",
    # Subscription
    "Subscription",
    "SubscriptionResponse",
    "SubscriptionSpan",
    "SubscriptionStatus",
    "PaginatedSubscriptions",
    # Export
    "ExportJob",
    "ExportStatus",
    "PaginatedExportJobs",
    "ExportDownloadResponse",
    "ArtifactDownload",
    "AvailabilityRange",
    "AvailabilityResponse",
    # Export schemas
    "CreateSchemaColumnRequest",
    "DeriveArrayInput",
    "DeriveField",
    "ExchangeExtractor",
    "ExportSchema",
    "ExportSchemaListItem",
    "ExportSchemaWithVersion",
    "JsonExtraction",
    "MetaExtraction",
    "StreamCategory",
    "UnfoldConfig",
    # Billing
    "AccessStatus",
    "BillingSummary",
    "BillingUsage",
    # This package's additions
    "BaseAPIModel",
    "ModelList",
    "RateLimit",
]
