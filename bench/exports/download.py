"""One download contender for `make bench`, run in a fresh process so its peak RSS is its own.

python download.py ours-python BASE KEY EXPORT_ID DEST   (our wheel, in .bench/venv-ours)
python download.py command DEST -- CMD...                 (curl, node, sync: peak RSS of CMD)
Prints {"mib_s": ..., "rss_kib": ..., "bytes": ..., "seconds": ...}; bytes are every file below DEST.
"""

import json
import os
import resource
import subprocess
import sys
import time


def total_bytes(dest):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(dest) for f in files)


def main():
    mode = sys.argv[1]
    start = time.perf_counter()
    if mode == "ours-python":
        base, key, export_id, dest = sys.argv[2:6]
        from ticksupply import Client

        Client(api_key=key, base_url=base).exports.download(export_id, dest)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        dest, cmd = sys.argv[2], sys.argv[sys.argv.index("--") + 1 :]
        subprocess.run(cmd, check=True)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds = time.perf_counter() - start
    size = total_bytes(dest)
    print(json.dumps({"mib_s": size / 2**20 / seconds, "rss_kib": rss, "bytes": size, "seconds": seconds}))


if __name__ == "__main__":
    main()
