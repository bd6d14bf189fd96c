// Node contender for the export download benchmark: node download.mjs BASE KEY EXPORT_ID DEST
import { createRequire } from 'node:module'
const { Client } = createRequire(import.meta.url)('../../bindings-node')
const [, , baseUrl, apiKey, id, dest] = process.argv
await new Client({ apiKey, baseUrl }).exports.download(id, dest)
