//! Export schemas: typed column definitions, custom schemas with versions and drafts.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::open_enum;
use crate::api_path;
use crate::client::Client;
use crate::request::{Call, json_decode, sendable};
use crate::timestamp::Timestamp;
use crate::transport::RequestSpec;

open_enum! {
    /// Category of market data a schema applies to.
    StreamCategory {
        Trade = "trade",
        Orderbook = "orderbook",
        BookUpdate = "book_update",
        Quote = "quote",
        Kline = "kline",
        Ticker = "ticker",
        Liquidation = "liquidation",
    } Other
}

open_enum! {
    /// Metadata a meta column extracts.
    MetaValue {
        CollectionTimestampNs = "collection_timestamp_ns",
    } Other
}

open_enum! {
    /// How a timestamp column is written.
    TimestampFormat {
        Ns = "ns",
        Us = "us",
        Ms = "ms",
        S = "s",
        Iso8601 = "iso8601",
    } Other
}

/// Type of an extracted value: `decimal(N)`, `i64`, `f64`, `bool`, `string`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    Decimal(u8),
    I64,
    F64,
    Bool,
    Str,
    Other(String),
}

impl DataType {
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            Self::Decimal(n) => Cow::Owned(format!("decimal({n})")),
            Self::I64 => Cow::Borrowed("i64"),
            Self::F64 => Cow::Borrowed("f64"),
            Self::Bool => Cow::Borrowed("bool"),
            Self::Str => Cow::Borrowed("string"),
            Self::Other(s) => Cow::Borrowed(s),
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl Serialize for DataType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

impl<'de> Deserialize<'de> for DataType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let decimal = s
            .strip_prefix("decimal(")
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|n| n.parse().ok());
        Ok(match (decimal, s.as_str()) {
            (Some(n), _) => Self::Decimal(n),
            (None, "i64") => Self::I64,
            (None, "f64") => Self::F64,
            (None, "bool") => Self::Bool,
            (None, "string") => Self::Str,
            _ => Self::Other(s),
        })
    }
}

/// A column taken from metadata (e.g. the collection timestamp).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaExtraction {
    pub value: MetaValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TimestampFormat>,
}

impl MetaExtraction {
    pub fn new(value: MetaValue) -> Self {
        MetaExtraction {
            value,
            format: None,
        }
    }
    pub fn format(mut self, format: TimestampFormat) -> Self {
        self.format = Some(format);
        self
    }
}

/// A JSON path into the exchange's raw message and the type to read it as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonExtraction {
    pub path: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
}

impl JsonExtraction {
    pub fn new(path: impl Into<String>, data_type: DataType) -> Self {
        JsonExtraction {
            path: path.into(),
            data_type,
        }
    }
}

/// How one exchange's messages fill a data column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ExchangeExtractor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<JsonExtraction>,
    /// SQL expression over `{v}`, the extracted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<String>,
}

impl ExchangeExtractor {
    pub fn json(path: impl Into<String>, data_type: DataType) -> Self {
        ExchangeExtractor {
            json: Some(JsonExtraction::new(path, data_type)),
            transform: None,
        }
    }
    pub fn transform(mut self, expr: impl Into<String>) -> Self {
        self.transform = Some(expr.into());
        self
    }
}

/// Where a column's values come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnSource {
    Meta(MetaExtraction),
    /// Exchange code → extractor (sorted, so request bodies are byte-stable).
    Data(BTreeMap<String, ExchangeExtractor>),
}

/// One output column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaColumn {
    pub output_column: String,
    #[serde(flatten)]
    pub source: ColumnSource,
}

impl SchemaColumn {
    pub fn meta(output_column: impl Into<String>, extraction: MetaExtraction) -> Self {
        SchemaColumn {
            output_column: output_column.into(),
            source: ColumnSource::Meta(extraction),
        }
    }
    /// Starts a data column; add an extractor per exchange with [`DataColumn::exchange`].
    pub fn data(output_column: impl Into<String>) -> DataColumn {
        DataColumn {
            output_column: output_column.into(),
            extractors: BTreeMap::new(),
        }
    }
}

/// A data column being built.
#[derive(Debug, Clone)]
pub struct DataColumn {
    output_column: String,
    extractors: BTreeMap<String, ExchangeExtractor>,
}

impl DataColumn {
    pub fn exchange(mut self, exchange: impl Into<String>, extractor: ExchangeExtractor) -> Self {
        self.extractors.insert(exchange.into(), extractor);
        self
    }
    pub fn build(self) -> SchemaColumn {
        SchemaColumn {
            output_column: self.output_column,
            source: ColumnSource::Data(self.extractors),
        }
    }
}

impl From<DataColumn> for SchemaColumn {
    fn from(c: DataColumn) -> Self {
        c.build()
    }
}

/// Explode a JSON array into one row per element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnfoldConfig {
    pub path: String,
}

impl UnfoldConfig {
    pub fn new(path: impl Into<String>) -> Self {
        UnfoldConfig { path: path.into() }
    }
}

/// One input array of a `tagged_concat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggedArray {
    pub path: String,
    pub tag: String,
}

impl TaggedArray {
    pub fn new(path: impl Into<String>, tag: impl Into<String>) -> Self {
        TaggedArray {
            path: path.into(),
            tag: tag.into(),
        }
    }
}

/// How a derived field is computed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DeriveOp {
    /// Merges arrays into one, tagging each element.
    TaggedConcat {
        arrays: Vec<TaggedArray>,
        tag_field: String,
        value_field: String,
    },
    /// An operation this version does not know: its fields, kept verbatim (including `op`).
    Other(Map<String, Value>),
}

/// A derived field synthesised from the raw message.
#[derive(Debug, Clone, PartialEq)]
pub struct DeriveField {
    pub field: String,
    pub op: DeriveOp,
}

impl Serialize for DeriveField {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = match &self.op {
            DeriveOp::TaggedConcat {
                arrays,
                tag_field,
                value_field,
            } => {
                let mut m = Map::new();
                m.insert("op".into(), "tagged_concat".into());
                m.insert(
                    "arrays".into(),
                    serde_json::to_value(arrays).map_err(serde::ser::Error::custom)?,
                );
                m.insert("tag_field".into(), tag_field.clone().into());
                m.insert("value_field".into(), value_field.clone().into());
                m
            }
            DeriveOp::Other(m) => m.clone(),
        };
        m.insert("field".into(), self.field.clone().into());
        m.serialize(s)
    }
}

impl<'de> Deserialize<'de> for DeriveField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut m = Map::<String, Value>::deserialize(d)?;
        let field = match m.remove("field") {
            Some(Value::String(f)) => f,
            _ => return Err(D::Error::missing_field("field")),
        };
        let op = if m.get("op").and_then(Value::as_str) == Some("tagged_concat") {
            #[derive(Deserialize)]
            struct Tc {
                arrays: Vec<TaggedArray>,
                tag_field: String,
                value_field: String,
            }
            let tc: Tc = serde_json::from_value(Value::Object(m)).map_err(D::Error::custom)?;
            DeriveOp::TaggedConcat {
                arrays: tc.arrays,
                tag_field: tc.tag_field,
                value_field: tc.value_field,
            }
        } else {
            DeriveOp::Other(m)
        };
        Ok(DeriveField { field, op })
    }
}

/// Columns plus optional `unfold` / `derive` rules: the content of a schema version or draft,
/// and of an inline export schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SchemaContent {
    pub columns: Vec<SchemaColumn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfold: Option<BTreeMap<String, UnfoldConfig>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derive: Option<BTreeMap<String, Vec<DeriveField>>>,
}

impl SchemaContent {
    pub fn builder() -> SchemaContentBuilder {
        SchemaContentBuilder::default()
    }
}

#[derive(Debug, Default)]
pub struct SchemaContentBuilder {
    columns: Vec<SchemaColumn>,
    unfold: BTreeMap<String, UnfoldConfig>,
    derive: BTreeMap<String, Vec<DeriveField>>,
}

impl SchemaContentBuilder {
    pub fn column(mut self, column: impl Into<SchemaColumn>) -> Self {
        self.columns.push(column.into());
        self
    }
    pub fn columns<I, C>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<SchemaColumn>,
    {
        self.columns.extend(columns.into_iter().map(Into::into));
        self
    }
    pub fn unfold(mut self, exchange: impl Into<String>, config: UnfoldConfig) -> Self {
        self.unfold.insert(exchange.into(), config);
        self
    }
    pub fn derive(
        mut self,
        exchange: impl Into<String>,
        fields: impl IntoIterator<Item = DeriveField>,
    ) -> Self {
        self.derive
            .entry(exchange.into())
            .or_default()
            .extend(fields);
        self
    }
    pub fn build(self) -> SchemaContent {
        SchemaContent {
            columns: self.columns,
            unfold: (!self.unfold.is_empty()).then_some(self.unfold),
            derive: (!self.derive.is_empty()).then_some(self.derive),
        }
    }
}

/// A schema as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportSchemaListItem {
    pub id: String,
    pub name: String,
    pub stream_category: StreamCategory,
    pub is_built_in: bool,
    pub created_at: Timestamp,
    /// Latest published version (0 if none yet).
    pub version: i32,
    pub has_draft: bool,
}

/// A schema with the content of its latest version (or of its draft, from the draft calls).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportSchemaWithVersion {
    pub id: String,
    pub name: String,
    pub stream_category: StreamCategory,
    pub is_built_in: bool,
    pub created_at: Timestamp,
    pub version: i32,
    pub has_draft: bool,
    #[serde(default)]
    pub columns: Vec<SchemaColumn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfold: Option<BTreeMap<String, UnfoldConfig>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derive: Option<BTreeMap<String, Vec<DeriveField>>>,
}

json_decode!(ExportSchemaListItem, ExportSchemaWithVersion);

pub struct ExportSchemasResource<'a> {
    pub(crate) client: &'a Client,
}

impl<'a> ExportSchemasResource<'a> {
    /// A handle on one schema, for calls that take its id.
    pub fn for_id(&self, id: impl Into<String>) -> SchemaHandle<'a> {
        SchemaHandle {
            client: self.client,
            id: id.into(),
        }
    }

    /// `GET /export-schemas`: built-ins and this account's schemas.
    pub fn list(&self) -> Call<Vec<ExportSchemaListItem>> {
        Call::new(
            self.client.clone(),
            RequestSpec::new(Method::GET, "/export-schemas", "/export-schemas".into()),
        )
    }

    /// `GET /export-schemas/{id}`.
    pub fn get(&self, id: &str) -> Call<ExportSchemaWithVersion> {
        Call::new(
            self.client.clone(),
            RequestSpec::new(
                Method::GET,
                "/export-schemas/{id}",
                api_path!("/export-schemas/", id),
            ),
        )
    }

    /// `POST /export-schemas`: creates version 1.
    pub fn create(
        &self,
        name: impl Into<String>,
        stream_category: StreamCategory,
        content: SchemaContent,
    ) -> Call<ExportSchemaWithVersion> {
        #[derive(Serialize)]
        struct Body {
            name: String,
            stream_category: StreamCategory,
            #[serde(flatten)]
            content: SchemaContent,
        }
        let body = Body {
            name: name.into(),
            stream_category,
            content,
        };
        Call::new(
            self.client.clone(),
            RequestSpec::new(Method::POST, "/export-schemas", "/export-schemas".into()).json(&body),
        )
    }

    /// `PUT /export-schemas/{id}`: publishes a new version directly (discarding any draft).
    pub fn update(
        &self,
        id: impl Into<String>,
        content: SchemaContent,
    ) -> Call<ExportSchemaWithVersion> {
        let id = id.into();
        Call::new(
            self.client.clone(),
            RequestSpec::new(
                Method::PUT,
                "/export-schemas/{id}",
                api_path!("/export-schemas/", id),
            )
            .json(&content),
        )
    }

    /// `DELETE /export-schemas/{id}` (custom schemas only).
    pub fn delete(&self, id: impl Into<String>) -> Call<()> {
        let id = id.into();
        Call::new(
            self.client.clone(),
            RequestSpec::new(
                Method::DELETE,
                "/export-schemas/{id}",
                api_path!("/export-schemas/", id),
            ),
        )
    }

    /// Builder for `POST /export-schemas/{id}/draft` (copies the latest version unless given
    /// content).
    pub fn create_draft(&self, id: impl Into<String>) -> CreateDraftRequest {
        CreateDraftRequest {
            client: self.client.clone(),
            id: id.into(),
            content: None,
            idempotency_key: None,
        }
    }

    /// `GET /export-schemas/{id}/draft`.
    pub fn get_draft(&self, id: &str) -> Call<ExportSchemaWithVersion> {
        let path = api_path!("/export-schemas/", id; "/draft");
        Call::new(
            self.client.clone(),
            RequestSpec::new(Method::GET, "/export-schemas/{id}/draft", path),
        )
    }

    /// `PUT /export-schemas/{id}/draft`.
    pub fn update_draft(
        &self,
        id: impl Into<String>,
        content: SchemaContent,
    ) -> Call<ExportSchemaWithVersion> {
        let id = id.into();
        let path = api_path!("/export-schemas/", id; "/draft");
        Call::new(
            self.client.clone(),
            RequestSpec::new(Method::PUT, "/export-schemas/{id}/draft", path).json(&content),
        )
    }

    /// `DELETE /export-schemas/{id}/draft`.
    pub fn discard_draft(&self, id: impl Into<String>) -> Call<()> {
        let id = id.into();
        let path = api_path!("/export-schemas/", id; "/draft");
        Call::new(
            self.client.clone(),
            RequestSpec::new(Method::DELETE, "/export-schemas/{id}/draft", path),
        )
    }

    /// `POST /export-schemas/{id}/publish`: the draft becomes the next version.
    pub fn publish_draft(&self, id: impl Into<String>) -> Call<ExportSchemaWithVersion> {
        let id = id.into();
        let path = api_path!("/export-schemas/", id; "/publish");
        Call::new(
            self.client.clone(),
            RequestSpec::new(Method::POST, "/export-schemas/{id}/publish", path),
        )
    }
}

/// Builder for `POST /export-schemas/{id}/draft`.
pub struct CreateDraftRequest {
    client: Client,
    id: String,
    content: Option<SchemaContent>,
    idempotency_key: Option<String>,
}

impl CreateDraftRequest {
    /// The draft's content (otherwise a copy of the latest published version).
    pub fn content(mut self, content: SchemaContent) -> Self {
        self.content = Some(content);
        self
    }
    pub fn idempotency_key(mut self, k: impl Into<String>) -> Self {
        self.idempotency_key = Some(k.into());
        self
    }
    fn into_call(self) -> Call<ExportSchemaWithVersion> {
        let path = api_path!("/export-schemas/", self.id; "/draft");
        let mut spec = RequestSpec::new(Method::POST, "/export-schemas/{id}/draft", path)
            .idempotency_key(self.idempotency_key);
        if let Some(c) = &self.content {
            spec = spec.json(c);
        }
        Call::new(self.client, spec)
    }
}

sendable!(CreateDraftRequest => ExportSchemaWithVersion);

/// One schema's calls, without repeating its id.
pub struct SchemaHandle<'a> {
    client: &'a Client,
    id: String,
}

impl SchemaHandle<'_> {
    fn res(&self) -> ExportSchemasResource<'_> {
        ExportSchemasResource {
            client: self.client,
        }
    }
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn get(&self) -> Call<ExportSchemaWithVersion> {
        self.res().get(&self.id)
    }
    pub fn update(&self, content: SchemaContent) -> Call<ExportSchemaWithVersion> {
        self.res().update(self.id.clone(), content)
    }
    pub fn delete(&self) -> Call<()> {
        self.res().delete(self.id.clone())
    }
    pub fn get_draft(&self) -> Call<ExportSchemaWithVersion> {
        self.res().get_draft(&self.id)
    }
    pub fn create_draft(&self) -> CreateDraftRequest {
        self.res().create_draft(self.id.clone())
    }
    pub fn update_draft(&self, content: SchemaContent) -> Call<ExportSchemaWithVersion> {
        self.res().update_draft(self.id.clone(), content)
    }
    pub fn discard_draft(&self) -> Call<()> {
        self.res().discard_draft(self.id.clone())
    }
    pub fn publish_draft(&self) -> Call<ExportSchemaWithVersion> {
        self.res().publish_draft(self.id.clone())
    }
}
