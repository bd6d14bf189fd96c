"""A profile's key from Python: stored by `ticksupply auth login`, never in code or the environment.

Run by examples/cli/profiles.sh, after it has logged in the profile `staging`.
"""

from ticksupply import Client

client = Client(profile="staging")  # its key from the OS keyring, its base URL from config.toml
exchanges = client.exchanges.list()
print(f"python: {len(exchanges)} exchanges with key {client.api_key} (request_id: {exchanges.request_id})")
