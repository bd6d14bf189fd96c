'use strict'
// Test helpers: one ticksupply-mock per test file (port 0, first line gives the URL), an
// account per test, fault injection, and a raw TCP server for exact request bytes.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const readline = require('node:readline')
const crypto = require('node:crypto')

const ROOT = path.resolve(__dirname, '..', '..')

function mockBinary() {
  if (process.env.TICKSUPPLY_MOCK_BIN) return process.env.TICKSUPPLY_MOCK_BIN
  for (const profile of ['release', 'debug']) {
    const p = path.join(ROOT, 'target', profile, 'ticksupply-mock')
    if (fs.existsSync(p)) return p
  }
  throw new Error('build ticksupply-mock first (cargo build -p ticksupply-mock)')
}

async function startMock(extra = []) {
  const args = ['--port', '0', '--export-delay-ms', '200', '--rate-limit-minute', '1000000', '--rate-limit-hour', '1000000', ...extra]
  const proc = spawn(mockBinary(), args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const first = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout })
    rl.once('line', (l) => resolve(l))
    proc.once('exit', (code) => reject(new Error(`ticksupply-mock exited with ${code}`)))
  })
  const prefix = 'ticksupply-mock listening on '
  if (!first.startsWith(prefix)) throw new Error(`unexpected first line: ${first}`)
  const baseUrl = first.slice(prefix.length)
  const origin = baseUrl.replace(/\/v1$/, '')

  async function control(method, p, body, key) {
    const headers = { 'content-type': 'application/json' }
    if (key) headers['x-api-key'] = key
    const res = await fetch(origin + '/_mock' + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    if (!res.ok) throw new Error(`mock control ${method} ${p}: ${res.status} ${text}`)
    return text ? JSON.parse(text) : null
  }

  return {
    baseUrl,
    origin,
    control,
    /** A fresh account; its key is the account name, so tests never share state. */
    async account(limits = {}) {
      const key = `key_test.${crypto.randomUUID().replaceAll('-', '')}`
      await control('POST', '/keys', { account: key, key, ...limits })
      return key
    },
    fault: (key, spec) => control('POST', '/faults', spec, key),
    requests: (key, listener = 'api') => control('GET', `/requests?listener=${listener}`, undefined, key),
    stop() {
      proc.kill()
    },
  }
}

/**
 * A raw HTTP/1.1 server: records each request's bytes and answers with `respond(n)` (a string
 * of the whole response), `null` to hang up without answering.
 */
async function rawServer(respond) {
  const requests = []
  const sockets = new Set()
  const server = net.createServer((sock) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    let buf = Buffer.alloc(0)
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buf.subarray(0, end + 4).toString('latin1')
      buf = buf.subarray(end + 4)
      requests.push({ head, at: Date.now() })
      const out = respond(requests.length, head)
      if (out === null) sock.destroy()
      else if (out !== undefined) sock.write(out)
    })
    sock.on('error', () => {})
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address()
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((r) => {
        server.close(r)
        for (const s of sockets) s.destroy()
      }),
    server,
  }
}

function response(status, body, headers = {}) {
  const lines = [`HTTP/1.1 ${status} X`, `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: keep-alive']
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`)
  return lines.join('\r\n') + '\r\n\r\n' + body
}

/**
 * Keeps the user's keys, profiles and config away from this process's clients: every
 * TICKSUPPLY_ variable cleared, an empty config directory, the keyring off (keys in its
 * credentials.toml). Returns the directory.
 */
function isolateConfig() {
  for (const k of Object.keys(process.env)) if (k.startsWith('TICKSUPPLY_')) delete process.env[k]
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'ticksupply-config-'))
  process.env.TICKSUPPLY_CONFIG_DIR = dir
  process.env.TICKSUPPLY_KEYRING = 'off'
  return dir
}

module.exports = { startMock, rawServer, response, isolateConfig, ROOT }
