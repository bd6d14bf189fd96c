// Compiled by `npm run typecheck` (tsc --noEmit): the shipped types must accept real usage.
import { Client, NotFoundError, RateLimitError, TicksupplyError, type ExportJob } from 'ticksupply'

const client = new Client({ apiKey: 'ts_example_key', timeout: 10_000, maxRetries: 2 })

const exchanges = await client.exchanges.list()
for (const e of exchanges) console.log(e.code, e.display_name, exchanges.requestId)

const page = await client.exchanges.listInstruments('binance', { search: 'BTC', limit: 10 })
const next: string | null | undefined = page.next_page_token
console.log(page.items.map((i) => i.symbol), next, page.rateLimit.remainingMinute)

for await (const sub of client.subscriptions.listAll({ limit: 50 })) {
  if (sub.status === 'paused') await client.subscriptions.resume(sub.id)
}

const job: ExportJob = await client.exports.create(1, 1704067200000000000n, new Date(), { format: 'csv' })
const start: bigint = job.start_time
const done = await client.exports.wait(job.id, { timeout: 60_000, signal: AbortSignal.timeout(120_000) })
const paths: string[] = await client.exports.download(done.id, './data')
console.log(start, paths)

try {
  await client.subscriptions.get('sub_missing')
} catch (err) {
  if (err instanceof NotFoundError) console.log(err.code, err.httpStatus, err.requestId)
  else if (err instanceof RateLimitError) console.log(err.retryAfter)
  else if (err instanceof TicksupplyError) console.log(err.message)
}

client.setApiKey('ts_new_key')
const quick = client.withOptions({ timeout: 1_000 })
console.log(quick.timeout, JSON.stringify(client))

// @ts-expect-error: instrument search takes an options object, not a number
await client.exchanges.listInstruments('binance', 10)
