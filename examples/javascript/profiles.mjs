// A profile's key from JavaScript: stored by `ticksupply auth login`, never in code or the
// environment. Run by examples/cli/profiles.sh, after it has logged in the profile `staging`.
import { Client } from 'ticksupply'

const client = new Client({ profile: 'staging' }) // its key from the OS keyring, its base URL from config.toml
const exchanges = await client.exchanges.list()
console.log(`javascript: ${exchanges.length} exchanges with key ${client.toJSON().apiKey} (request_id: ${exchanges.requestId})`)
