'use strict'
// The package's `ticksupply` bin (cli.js): the Rust command line run through the addon.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const { startMock } = require('./helpers')
const pkg = require('../package.json')

const CLI = path.join(__dirname, '..', 'cli.js')

let mock
test.before(async () => {
  mock = await startMock()
})
test.after(() => mock.stop())

function cli(args, env = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TICKSUPPLY_')))
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...clean, ...env }, timeout: 60_000 })
}

test('the bin is cli.js and --version is the package version', () => {
  assert.deepEqual(pkg.bin, { ticksupply: 'cli.js' })
  assert.ok(pkg.files.includes('cli.js'))
  const r = cli(['--version'])
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim(), `ticksupply ${pkg.version}`)
})

test('--help names the program ticksupply', () => {
  const r = cli(['--help'])
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /Usage: ticksupply/)
})

test('a usage error exits 2', () => {
  const r = cli(['no-such-command'])
  assert.equal(r.status, 2)
  assert.match(r.stderr, /no-such-command/)
})

test('exchanges list --json against the mock', async () => {
  const key = await mock.account()
  const r = cli(['exchanges', 'list', '--json'], { TICKSUPPLY_API_KEY: key, TICKSUPPLY_BASE_URL: mock.baseUrl })
  assert.equal(r.status, 0, r.stderr)
  const exchanges = JSON.parse(r.stdout)
  assert.ok(Array.isArray(exchanges) && exchanges.length > 0)
  assert.ok('code' in exchanges[0] && 'display_name' in exchanges[0])
})

test('an API error exits 1 with the error on stderr', () => {
  const r = cli(['exchanges', 'list'], { TICKSUPPLY_API_KEY: 'key_nobody.unknown', TICKSUPPLY_BASE_URL: mock.baseUrl })
  assert.equal(r.status, 1)
  assert.match(r.stderr, /unauthenticated/)
})

test('runCli runs in-process too, from inside the event loop', async () => {
  const { runCli } = require('../native.js')
  await new Promise((resolve) => setImmediate(resolve))
  // A usage error: it writes to stderr only, and this process's stdout is the test reporter's.
  assert.equal(runCli(['ticksupply', 'no-such-command']), 2)
})
