'use strict'
// The public JavaScript surface. Every rule (keys, URLs, retries, pagination, errors) runs in
// the Rust core; this file only shapes arguments, parses the JSON text the core returns, and
// rebuilds core errors as classes (napi cannot reject with an Error subclass).

const { inspect } = require('node:util')
const native = require('./native.js')

// ---------------------------------------------------------------------------------------------
// Errors

class TicksupplyError extends Error {
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause })
    this.name = new.target.name
    this.code = fields.code ?? null
    this.httpStatus = fields.httpStatus ?? null
    this.requestId = fields.requestId ?? null
    this.details = fields.details ?? null
    this.retryAfter = fields.retryAfter ?? null
    // Bulky or rarely needed: kept off console.log output.
    Object.defineProperty(this, 'rateLimit', { value: fields.rateLimit ?? null, writable: true })
    Object.defineProperty(this, 'attempts', { value: fields.attempts ?? null, writable: true })
  }
}
class APIError extends TicksupplyError {}
class AuthenticationError extends APIError {}
class PermissionDeniedError extends APIError {}
class NotFoundError extends APIError {}
class ConflictError extends APIError {}
class RateLimitError extends APIError {}
class PaymentRequiredError extends APIError {}
class InvalidArgumentError extends APIError {}
class ServerError extends APIError {}
/** A success response whose body could not be decoded. */
class DecodeError extends APIError {}
class NetworkError extends TicksupplyError {}
/** An attempt, a whole call, or an export wait ran out of time (`jobId` set for waits). */
class APITimeoutError extends NetworkError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.jobId = fields.jobId ?? null
  }
}
/** Bad configuration or arguments, found before anything was sent. */
class ConfigurationError extends TicksupplyError {}
/** The call was aborted through its `signal`. Its `name` is `AbortError`, as for `fetch`. */
class CanceledError extends TicksupplyError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.name = 'AbortError'
  }
}
/** An awaited export ended `failed`, `canceled` or `deleted`. */
class ExportFailedError extends TicksupplyError {
  constructor(message, fields = {}) {
    super(message, fields)
    this.job = fields.job ?? null
    this.reason = this.job?.reason ?? null
  }
}
class DownloadError extends TicksupplyError {}
class DataError extends TicksupplyError {}

const errorClasses = {
  TicksupplyError,
  APIError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  PaymentRequiredError,
  InvalidArgumentError,
  ServerError,
  DecodeError,
  NetworkError,
  APITimeoutError,
  ConfigurationError,
  CanceledError,
  ExportFailedError,
  DownloadError,
  DataError,
}

function envelope(e) {
  if (!e || typeof e.message !== 'string' || !e.message.startsWith('{')) return null
  try {
    const f = JSON.parse(e.message, reviveNanos)
    return f.ticksupply === 1 ? f : null
  } catch {
    return null
  }
}

/** The core's error envelope as its class; anything else (a bug, a panic) passes through. */
function toError(e, signal) {
  const f = envelope(e)
  if (f) {
    const Cls = errorClasses[f.class] ?? TicksupplyError
    const cause = f.class === 'CanceledError' && signal ? signal.reason : undefined
    return new Cls(f.display, { ...f, cause })
  }
  return e
}

function configError(message) {
  return new ConfigurationError(message, { code: 'configuration_error' })
}

// ---------------------------------------------------------------------------------------------
// Values

/** Fields holding nanoseconds since the epoch; the core sends them as strings. */
const NANOS_FIELDS = new Set(native.nanosFields())
function isNanosField(key) {
  return NANOS_FIELDS.has(key) || key.endsWith('_ns')
}

function reviveNanos(key, value) {
  return typeof value === 'string' && isNanosField(key) && /^-?\d+$/.test(value) ? BigInt(value) : value
}

function rateLimitOf(r) {
  return {
    limitMinute: r.limitMinute ?? null,
    remainingMinute: r.remainingMinute ?? null,
    resetMinute: r.resetMinute ?? null,
    limitHour: r.limitHour ?? null,
    remainingHour: r.remainingHour ?? null,
    resetHour: r.resetHour ?? null,
  }
}

/** Adds `requestId` and `rateLimit` without changing what JSON.stringify shows. */
function withMeta(data, meta) {
  Object.defineProperty(data, 'requestId', { value: meta.requestId ?? null, configurable: true })
  Object.defineProperty(data, 'rateLimit', { value: rateLimitOf(meta.rateLimit), configurable: true })
  return data
}

function decode(reply) {
  const data = reply.nanos ? JSON.parse(reply.json, reviveNanos) : JSON.parse(reply.json)
  if (data === null || typeof data !== 'object') return data === null ? undefined : data
  return withMeta(data, reply.meta)
}

/** An export time: `bigint` or integer nanoseconds, an RFC 3339 string, or a `Date`. */
function timeArg(value, name) {
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'string') return value
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw configError(`${name} is an invalid Date`)
    return value.toISOString()
  }
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return String(value)
    throw configError(
      `${name} ${value} is not an exact integer of nanoseconds; pass a bigint (e.g. 1700000000000000000n), an RFC 3339 string or a Date`,
    )
  }
  throw configError(`${name} must be a bigint, a number of nanoseconds, a string or a Date`)
}

function millisToSeconds(value, name) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !(value >= 0)) {
    throw configError(`${name} must be a non-negative number of milliseconds`)
  }
  return value / 1000
}

// ---------------------------------------------------------------------------------------------
// Calls

function abortError(signal) {
  return new CanceledError('[canceled] the call was aborted', { code: 'canceled', cause: signal.reason })
}

/**
 * Set by `ticksupply/otel` while its instrumentation is enabled: `capture()` files the caller's
 * active context and returns its number, the parent of the call's spans.
 */
let telemetry = null

/**
 * Runs `start(handle)` with a native handle tripped by `signal` and carrying the caller's
 * tracing context; without either, with none.
 */
async function cancellable(signal, start) {
  const context = telemetry === null ? null : telemetry.capture()
  if (!signal && context === null) {
    try {
      return await start(null)
    } catch (e) {
      throw toError(e)
    }
  }
  if (signal?.aborted) throw abortError(signal)
  const handle = new native.CancelHandle()
  if (context !== null) handle.setParent(context)
  const onAbort = () => handle.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return await start(handle)
  } catch (e) {
    throw toError(e, signal)
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

const NATIVE = Symbol('native')

function run(client, op, args, signal) {
  const n = client[NATIVE]
  return cancellable(signal, (h) => n.call(op, JSON.stringify(args), h)).then(decode)
}

/**
 * What `itemsOf` takes from each batch of a native stream (pages of a list, batches of export
 * rows), fetched one batch at a time.
 */
async function* streamItems(client, op, args, signal, itemsOf) {
  let batches
  try {
    batches = client[NATIVE].pages(op, JSON.stringify(args))
  } catch (e) {
    throw toError(e)
  }
  for (;;) {
    const reply = await cancellable(signal, (h) => batches.next(h))
    if (reply === null) return
    yield* itemsOf(reply)
  }
}

const pageItems = (reply) => decode(reply).items
const rowBatch = (reply) => JSON.parse(reply.json)

// ---------------------------------------------------------------------------------------------
// Resources

class Resource {
  constructor(client) {
    Object.defineProperty(this, '_client', { value: client })
  }
  _call(op, args, signal) {
    return run(this._client, op, args, signal)
  }
  _items(op, args, signal) {
    return streamItems(this._client, op, args, signal, pageItems)
  }
  [inspect.custom]() {
    return `${this.constructor.name} {}`
  }
}

function instrumentFilters(o) {
  return { search: o.search, base: o.base, quote: o.quote, instrument_type: o.instrumentType, limit: o.limit }
}
function datastreamFilters(o) {
  return { stream_type: o.streamType, wire_format: o.wireFormat, limit: o.limit }
}

class Exchanges extends Resource {
  list(opts = {}) {
    return this._call('exchanges.list', {}, opts.signal)
  }
  listInstruments(exchange, opts = {}) {
    const args = { exchange, ...instrumentFilters(opts), page_token: opts.pageToken }
    return this._call('exchanges.list_instruments', args, opts.signal)
  }
  listAllInstruments(exchange, opts = {}) {
    return this._items('exchanges.list_instruments', { exchange, ...instrumentFilters(opts) }, opts.signal)
  }
  listDatastreams(exchange, instrument, opts = {}) {
    const args = { exchange, instrument, ...datastreamFilters(opts), page_token: opts.pageToken }
    return this._call('exchanges.list_datastreams', args, opts.signal)
  }
  listAllDatastreams(exchange, instrument, opts = {}) {
    const args = { exchange, instrument, ...datastreamFilters(opts) }
    return this._items('exchanges.list_datastreams', args, opts.signal)
  }
}

class Datastreams extends Resource {
  list(opts = {}) {
    const args = { exchange: opts.exchange, instrument: opts.instrument, ...datastreamFilters(opts) }
    return this._call('datastreams.list', { ...args, page_token: opts.pageToken }, opts.signal)
  }
  listAll(opts = {}) {
    const args = { exchange: opts.exchange, instrument: opts.instrument, ...datastreamFilters(opts) }
    return this._items('datastreams.list', args, opts.signal)
  }
}

class Subscriptions extends Resource {
  list(opts = {}) {
    return this._call('subscriptions.list', { limit: opts.limit, page_token: opts.pageToken }, opts.signal)
  }
  listAll(opts = {}) {
    return this._items('subscriptions.list', { limit: opts.limit }, opts.signal)
  }
  get(id, opts = {}) {
    return this._call('subscriptions.get', { id }, opts.signal)
  }
  create(datastreamId, opts = {}) {
    const args = { datastream_id: datastreamId, idempotency_key: opts.idempotencyKey }
    return this._call('subscriptions.create', args, opts.signal)
  }
  pause(id, opts = {}) {
    return this._call('subscriptions.pause', { id, idempotency_key: opts.idempotencyKey }, opts.signal)
  }
  resume(id, opts = {}) {
    return this._call('subscriptions.resume', { id, idempotency_key: opts.idempotencyKey }, opts.signal)
  }
  delete(id, opts = {}) {
    return this._call('subscriptions.delete', { id, idempotency_key: opts.idempotencyKey }, opts.signal)
  }
  listSpans(id, opts = {}) {
    return this._call('subscriptions.list_spans', { id }, opts.signal)
  }
}

class Exports extends Resource {
  list(opts = {}) {
    return this._call('exports.list', { limit: opts.limit, page_token: opts.pageToken }, opts.signal)
  }
  listAll(opts = {}) {
    return this._items('exports.list', { limit: opts.limit }, opts.signal)
  }
  get(id, opts = {}) {
    return this._call('exports.get', { id }, opts.signal)
  }
  /**
   * `create(datastreamId, startTime, endTime, opts?)`, or `create({ datastreamId, startTime,
   * endTime, ...opts })`.
   */
  async create(datastreamId, startTime, endTime, opts = {}) {
    if (typeof datastreamId === 'object' && datastreamId !== null) {
      opts = datastreamId
      ;({ datastreamId, startTime, endTime } = opts)
    }
    const args = {
      datastream_id: datastreamId,
      start_time: timeArg(startTime, 'startTime'),
      end_time: timeArg(endTime, 'endTime'),
      schema: opts.schema,
      format: opts.format,
      format_options: opts.formatOptions,
      idempotency_key: opts.idempotencyKey,
    }
    return this._call('exports.create', args, opts.signal)
  }
  getDownload(id, opts = {}) {
    return this._call('exports.get_download', { id }, opts.signal)
  }
  cancel(id, opts = {}) {
    return this._call('exports.cancel', { id, idempotency_key: opts.idempotencyKey }, opts.signal)
  }
  delete(id, opts = {}) {
    return this._call('exports.delete', { id, idempotency_key: opts.idempotencyKey }, opts.signal)
  }
  /** Polls until the export finished; `timeout` and `pollInterval` in milliseconds. */
  async wait(id, opts = {}) {
    const args = {
      id,
      timeout: millisToSeconds(opts.timeout, 'timeout'),
      poll_interval: millisToSeconds(opts.pollInterval, 'pollInterval'),
    }
    return this._call('exports.wait', args, opts.signal)
  }
  /**
   * Downloads every artifact into `destDir`; resolves to the file paths. `onProgress(done,
   * total)` gets byte counts as they arrive.
   */
  download(id, destDir, opts = {}) {
    const args = {
      id,
      dest_dir: String(destDir),
      overwrite: opts.overwrite ?? false,
      concurrency: opts.concurrency,
      durable: opts.durable ?? false,
    }
    const onProgress = opts.onProgress
    if (onProgress === undefined || onProgress === null) return this._call('exports.download', args, opts.signal)
    if (typeof onProgress !== 'function') {
      return Promise.reject(configError('onProgress must be a function (doneBytes, totalBytes) => void'))
    }
    const n = this._client[NATIVE]
    return cancellable(opts.signal, (h) => n.download(JSON.stringify(args), onProgress, h)).then(decode)
  }
  /**
   * Every row of a succeeded export as an object keyed by the CSV header, parsed in the core
   * from the gzip artifacts without writing a file.
   */
  rows(id, opts = {}) {
    return streamItems(this._client, 'exports.rows', { id }, opts.signal, rowBatch)
  }
  /**
   * The export's rows as Arrow data, typed from `schema` (a name, a `sch_` id or inline
   * columns), decoded in the core while the artifacts download.
   */
  data(id, opts = {}) {
    const n = this._client[NATIVE]
    return new ExportData((args) => n.data(args), { id, ...dataArgs(opts) }, opts.signal)
  }
}

// ---------------------------------------------------------------------------------------------
// Export data (Arrow)

function dataArgs(opts) {
  const pick = (value, name, plain, other, nativeOther) => {
    if (value === undefined || value === null || value === plain) return undefined
    if (value === other) return nativeOther
    throw configError(`${name} must be '${plain}' or '${other}'`)
  }
  return {
    schema: opts.schema ?? null,
    batch_rows: opts.batchRows,
    // arrow-js reads decimals poorly and timestamp[ns] into lossy milliseconds: by default
    // decimals come as exact strings and timestamps as int64 nanoseconds (bigint).
    decimals: pick(opts.decimals, 'decimals', 'string', 'decimal', 'decimal') ?? 'text',
    timestamps: pick(opts.timestamps, 'timestamps', 'bigint', 'timestamp', 'timestamp') ?? 'int64',
  }
}

function loadArrow() {
  try {
    return require('apache-arrow')
  } catch {
    throw configError("toArrow() needs the optional peer dependency apache-arrow: npm install apache-arrow")
  }
}

/** An export's (or files') rows as Arrow: IPC buffers, an apache-arrow Table, or Parquet. */
class ExportData {
  constructor(open, args, signal) {
    Object.defineProperty(this, '_open', { value: () => open(JSON.stringify(args)) })
    Object.defineProperty(this, '_signal', { value: signal })
  }
  /** Every row as one Arrow IPC stream (a Buffer). */
  toIPC(opts = {}) {
    const d = this._open()
    return cancellable(opts.signal ?? this._signal, (h) => d.all(h))
  }
  /** An apache-arrow `Table` (apache-arrow is an optional peer dependency). */
  async toArrow(opts = {}) {
    const arrow = loadArrow()
    return arrow.tableFromIPC(await this.toIPC(opts))
  }
  /** One IPC stream buffer per record batch: memory bounded by the batch size. */
  async *batches(opts = {}) {
    const d = this._open()
    const signal = opts.signal ?? this._signal
    for (;;) {
      const buf = await cancellable(signal, (h) => d.next(h))
      if (buf === null) return
      yield buf
    }
  }
  /** Writes one Parquet file (zstd), renamed into place when complete; resolves to the rows. */
  toParquet(path, opts = {}) {
    const d = this._open()
    return cancellable(opts.signal ?? this._signal, (h) => d.toParquet(String(path), h))
  }
}

/** The rows of artifact files on disk (.csv.gz, .csv, .parquet), typed as `exports.data` does. */
function readArtifacts(paths, opts = {}) {
  const list = typeof paths === 'string' ? [paths] : Array.from(paths, String)
  return new ExportData((args) => native.readArtifacts(args), { paths: list, ...dataArgs(opts) }, opts.signal)
}

function content(columns, o) {
  return { columns, unfold: o.unfold, derive: o.derive }
}

class ExportSchemas extends Resource {
  list(opts = {}) {
    return this._call('export_schemas.list', {}, opts.signal)
  }
  create(name, streamCategory, columns, opts = {}) {
    const args = { name, stream_category: streamCategory, ...content(columns, opts), idempotency_key: opts.idempotencyKey }
    return this._call('export_schemas.create', args, opts.signal)
  }
  get(id, opts = {}) {
    return this._call('export_schemas.get', { id }, opts.signal)
  }
  update(id, columns, opts = {}) {
    return this._call('export_schemas.update', { id, ...content(columns, opts) }, opts.signal)
  }
  delete(id, opts = {}) {
    return this._call('export_schemas.delete', { id, idempotency_key: opts.idempotencyKey }, opts.signal)
  }
  createDraft(id, opts = {}) {
    const args = { id, ...content(opts.columns, opts), idempotency_key: opts.idempotencyKey }
    return this._call('export_schemas.create_draft', args, opts.signal)
  }
  getDraft(id, opts = {}) {
    return this._call('export_schemas.get_draft', { id }, opts.signal)
  }
  updateDraft(id, columns, opts = {}) {
    return this._call('export_schemas.update_draft', { id, ...content(columns, opts) }, opts.signal)
  }
  discardDraft(id, opts = {}) {
    return this._call('export_schemas.discard_draft', { id, idempotency_key: opts.idempotencyKey }, opts.signal)
  }
  publishDraft(id, opts = {}) {
    return this._call('export_schemas.publish_draft', { id, idempotency_key: opts.idempotencyKey }, opts.signal)
  }
}

class Availability extends Resource {
  get(datastreamId, opts = {}) {
    return this._call('availability.get', { datastream_id: datastreamId }, opts.signal)
  }
}

class Billing extends Resource {
  getSummary(opts = {}) {
    return this._call('billing.get_summary', {}, opts.signal)
  }
}

// ---------------------------------------------------------------------------------------------
// Client

function wrapNative(f) {
  try {
    return f()
  } catch (e) {
    throw toError(e)
  }
}

/** Routes the core's log lines to `logger` (a function, or an object with level methods). */
function useLogger(logger, level) {
  if (logger === undefined || logger === null) return
  const sink =
    typeof logger === 'function'
      ? (lvl, line) => logger(lvl, line)
      : (lvl, line) => (logger[lvl] ?? logger.log ?? (() => {})).call(logger, `ticksupply: ${line}`)
  wrapNative(() => native.setLogSink(level ?? 'debug', sink))
}

class Client {
  /**
   * @param {object} [options]
   * @param {string} [options.apiKey] else `TICKSUPPLY_API_KEY`, else the key of the profile
   *   named by `TICKSUPPLY_PROFILE`, else of the default profile
   * @param {string} [options.profile] use this profile's stored key and base URL
   * @param {string} [options.baseUrl] else the profile's, else `TICKSUPPLY_BASE_URL`, else the
   *   production API
   * @param {number} [options.timeout] per attempt, in milliseconds (default 30000)
   * @param {number} [options.maxRetries] default 3; 0 disables retries
   */
  constructor(options = {}) {
    const { apiKey, profile, baseUrl, timeout, maxRetries, userAgent, logger, logLevel } = options ?? {}
    if (timeout !== undefined && timeout !== null && typeof timeout !== 'number') {
      throw configError('timeout must be a number of milliseconds')
    }
    const n =
      options instanceof NativeHolder
        ? options.native
        : wrapNative(
            () =>
              new native.NativeClient({
                apiKey: apiKey ?? undefined,
                profile: profile ?? undefined,
                baseUrl: baseUrl ?? undefined,
                timeout: timeout ?? undefined,
                maxRetries: maxRetries ?? undefined,
                userAgent: userAgent ?? undefined,
              }),
          )
    Object.defineProperty(this, NATIVE, { value: n })
    useLogger(logger, logLevel)
    for (const [name, Cls] of [
      ['exchanges', Exchanges],
      ['datastreams', Datastreams],
      ['subscriptions', Subscriptions],
      ['exports', Exports],
      ['exportSchemas', ExportSchemas],
      ['availability', Availability],
      ['billing', Billing],
    ]) {
      Object.defineProperty(this, name, { value: new Cls(this), enumerable: true })
    }
  }

  /** Uses `key` from the next request on; requests in flight finish with the old one. */
  setApiKey(key) {
    wrapNative(() => this[NATIVE].setApiKey(key))
  }

  /** A client with some options changed, sharing this one's connection pool. */
  withOptions(options = {}) {
    const n = wrapNative(() =>
      this[NATIVE].withOptions({
        apiKey: options.apiKey ?? undefined,
        timeout: options.timeout ?? undefined,
        maxRetries: options.maxRetries ?? undefined,
      }),
    )
    return new Client(new NativeHolder(n))
  }

  get baseUrl() {
    return this[NATIVE].baseUrl
  }
  get timeout() {
    return this[NATIVE].timeout
  }
  get maxRetries() {
    return this[NATIVE].maxRetries
  }

  toJSON() {
    return { baseUrl: this.baseUrl, apiKey: this[NATIVE].apiKeyHint, timeout: this.timeout, maxRetries: this.maxRetries }
  }
  toString() {
    return `Client(baseUrl=${this.baseUrl}, apiKey=${this[NATIVE].apiKeyHint})`
  }
  [inspect.custom]() {
    return `Client { baseUrl: '${this.baseUrl}', apiKey: '${this[NATIVE].apiKeyHint}', timeout: ${this.timeout}, maxRetries: ${this.maxRetries} }`
  }
}

/** Lets `withOptions` hand a ready native client to the constructor. */
class NativeHolder {
  constructor(n) {
    this.native = n
  }
}

// TICKSUPPLY_LOG=debug: one line per attempt on stderr, until a logger is given.
if (process.env.TICKSUPPLY_LOG) {
  try {
    native.setLogSink(process.env.TICKSUPPLY_LOG, null)
  } catch (e) {
    process.emitWarning(`TICKSUPPLY_LOG ignored: ${e.message}`)
  }
}

module.exports = {
  Client,
  ExportData,
  readArtifacts,
  ...errorClasses,
  VERSION: native.coreVersion(),
}
// For `ticksupply/otel` only (not enumerable: not part of the API).
Object.defineProperty(module.exports, '_setTelemetry', {
  value: (hooks) => {
    telemetry = hooks
  },
})
