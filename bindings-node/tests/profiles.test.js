'use strict'
// Profiles from JavaScript: keys stored by the package's own `ticksupply auth login` (cli.js),
// used by `new Client({ profile })`, with the precedence every language shares: an explicit key
// or profile > TICKSUPPLY_API_KEY > TICKSUPPLY_PROFILE > default_profile. The keyring is off
// here (keys in the config directory's credentials.toml); `make test-keyring` tests a real one.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const { Client, AuthenticationError, ConfigurationError } = require('..')
const { startMock, isolateConfig } = require('./helpers')

const CLI = path.join(__dirname, '..', 'cli.js')
let mock
let dir
let dev, stg, env

const hint = (key) => `****${key.slice(-4)}`

function login(profile, key) {
  return spawnSync(process.execPath, [CLI, 'auth', 'login', '--profile', profile, '--base-url', mock.baseUrl], {
    input: `${key}\n`,
    encoding: 'utf8',
    env: process.env,
    timeout: 60_000,
  })
}

/** Which of `keys` the client's request went out with, as the mock recorded it. */
async function used(client, keys) {
  await client.exchanges.list()
  for (const k of keys) {
    if ((await mock.requests(k)).some((r) => r.path === '/v1/exchanges')) return k
  }
  return null
}

test.before(async () => {
  mock = await startMock()
  dir = isolateConfig()
  ;[dev, stg, env] = [await mock.account(), await mock.account(), await mock.account()]
  for (const [name, key] of [['dev', dev], ['stg', stg]]) {
    const r = login(name, key)
    assert.equal(r.status, 0, r.stderr)
  }
})
test.after(() => mock.stop())
test.afterEach(() => {
  delete process.env.TICKSUPPLY_API_KEY
  delete process.env.TICKSUPPLY_PROFILE
  delete process.env.TICKSUPPLY_BASE_URL
})

test('precedence: named key or profile > TICKSUPPLY_API_KEY > TICKSUPPLY_PROFILE > default_profile', async () => {
  // default_profile, with the profile's base URL (TICKSUPPLY_BASE_URL is unset).
  const c = new Client()
  assert.equal(c.baseUrl, mock.baseUrl)
  assert.equal(c.toJSON().apiKey, hint(dev))
  assert.equal(await used(c, [dev, stg, env]), dev)
  process.env.TICKSUPPLY_PROFILE = 'stg'
  assert.equal(new Client().toJSON().apiKey, hint(stg))
  process.env.TICKSUPPLY_API_KEY = env
  process.env.TICKSUPPLY_BASE_URL = mock.baseUrl
  assert.equal(await used(new Client(), [env]), env)
  assert.equal(new Client({ profile: 'dev' }).toJSON().apiKey, hint(dev))
  assert.equal(new Client({ apiKey: stg }).toJSON().apiKey, hint(stg))
  assert.throws(
    () => new Client({ apiKey: stg, profile: 'dev' }),
    (e) => e instanceof ConfigurationError && /'dev'/.test(e.message) && !e.message.includes(stg),
  )
})

test('a deleted key is an AuthenticationError that names the profile, not the key', async () => {
  const key = await mock.account()
  assert.equal(login('gone', key).status, 0)
  await mock.control('DELETE', `/keys/${key}`)
  const c = new Client({ profile: 'gone' })
  await assert.rejects(c.exchanges.list(), (e) => {
    assert.ok(e instanceof AuthenticationError)
    assert.match(e.message, /profile 'gone' \(credentials file\)/)
    assert.ok(e.message.includes(hint(key)) && !e.message.includes(key))
    assert.match(e.requestId, /^req_[0-9a-f]{16}$/)
    return true
  })
})

test('a profile that does not exist names itself, the file, and what to run', () => {
  assert.throws(
    () => new Client({ profile: 'ghost' }),
    (e) =>
      e instanceof ConfigurationError &&
      e.message.includes("profile 'ghost'") &&
      e.message.includes(path.join(dir, 'config.toml')) &&
      e.message.includes('auth login'),
  )
})

test('login refuses a rejected key; the key file is private and the config holds no key', () => {
  const r = login('prod', 'ts_rejected_key_0000')
  assert.equal(r.status, 1)
  assert.match(r.stderr, /\[unauthenticated\].*request_id: req_/s)
  assert.ok(!(r.stdout + r.stderr).includes('ts_rejected_key_0000'))
  assert.throws(() => new Client({ profile: 'prod' }), ConfigurationError)
  const creds = path.join(dir, 'credentials.toml')
  assert.equal(fs.statSync(creds).mode & 0o777, 0o600)
  assert.ok(!fs.readFileSync(path.join(dir, 'config.toml'), 'utf8').includes(dev))
})
