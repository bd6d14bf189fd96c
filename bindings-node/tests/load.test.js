'use strict'
// Load: 10,000 calls from 200 concurrent callers against the mock, zero errors, flat memory
// between the two halves, no sockets or threads left behind.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')

const { Client } = require('..')
const { startMock } = require('./helpers')

const CALLERS = 200
const CALLS = 10000

function snapshot() {
  const sockets = fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')
    } catch {
      return false
    }
  }).length
  return { rss: process.memoryUsage().rss, sockets, threads: fs.readdirSync('/proc/self/task').length }
}

test('10,000 calls from 200 concurrent callers', async () => {
  const mock = await startMock()
  try {
    const c = new Client({ apiKey: await mock.account(), baseUrl: mock.baseUrl })
    const half = async () => {
      const counts = await Promise.all(
        Array.from({ length: CALLERS }, async () => {
          let ok = 0
          for (let i = 0; i < CALLS / 2 / CALLERS; i++) ok += (await c.exchanges.list()).length > 0 ? 1 : 0
          return ok
        }),
      )
      return counts.reduce((a, b) => a + b, 0)
    }
    const first = await half()
    global.gc?.()
    const a = snapshot()
    const second = await half()
    global.gc?.()
    const b = snapshot()
    assert.equal(first + second, CALLS, 'every call succeeded')
    assert.ok(b.rss - a.rss < 32 * 2 ** 20, `memory grew by ${((b.rss - a.rss) / 2 ** 20).toFixed(1)} MiB`)
    // The pool may still grow towards one connection per caller (how many calls overlap is up
    // to the scheduler), but never past that: a leak would add sockets with every call.
    // (on a loaded machine a caller can open a connection before its last one returned: allow
    // growth by half the callers, far below the 5000 sockets a per-call leak would add)
    assert.ok(b.sockets <= Math.max(a.sockets, CALLERS) + CALLERS / 2, `sockets ${a.sockets} -> ${b.sockets}`)
    assert.ok(b.threads <= a.threads, `threads ${a.threads} -> ${b.threads}`)
  } finally {
    mock.stop()
  }
})
