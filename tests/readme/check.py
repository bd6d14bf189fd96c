"""Every code block in README.md is one of the examples, or is run by a test.

- python / js / rust blocks must be verbatim excerpts of a file under examples/ or core/examples/
  (which make test runs);
- sh blocks: verbatim excerpts of a script under examples/ (which make test runs) pass whole;
  otherwise `make T` needs a target T; `pip install` / `npm install` lines must be run by the
  install test (tests/dist/install-test.sh); `scripts/with-mock ...` lines are run here;
- text blocks (layouts, synopses) are not code. A block without a language is an error.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXCERPT_LANGS = {"python", "js", "rust"}


def blocks(text):
    for m in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.S | re.M):
        yield m.group(1), m.group(2), text[: m.start()].count("\n") + 1


def example_texts():
    files = [p for d in ("examples", "core/examples") for p in (ROOT / d).rglob("*") if p.is_file()]
    return [p.read_text() for p in files if "node_modules" not in p.parts]


def main():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    install_test = (ROOT / "tests" / "dist" / "install-test.sh").read_text()
    examples = example_texts()
    failures, checked = [], 0
    for lang, code, line in blocks(readme):
        where = f"README.md:{line}"
        if lang == "text":
            continue
        checked += 1
        if lang in EXCERPT_LANGS:
            if not any(code in e for e in examples):
                failures.append(f"{where}: this {lang} block is not an excerpt of any example file")
        elif lang == "sh" and any(code in e for e in examples):
            continue
        elif lang == "sh":
            for cmd in code.splitlines():
                cmd = cmd.split("  #")[0].strip()
                if not cmd or cmd.startswith("#"):
                    continue
                if cmd.startswith("make "):
                    target = cmd.split()[1]
                    if not re.search(rf"^{re.escape(target)}:", makefile, re.M):
                        failures.append(f"{where}: no make target {target!r}")
                elif cmd.startswith(("pip install", "npm install")):
                    if cmd.split(" ", 2)[2] not in install_test:
                        failures.append(f"{where}: {cmd!r} is not run by tests/dist/install-test.sh")
                elif cmd.startswith("scripts/with-mock"):
                    r = subprocess.run(cmd, shell=True, cwd=ROOT, capture_output=True, text=True)
                    if r.returncode != 0:
                        failures.append(f"{where}: {cmd!r} failed:\n{r.stdout}{r.stderr}")
                else:
                    failures.append(f"{where}: no test runs {cmd!r}")
        else:
            failures.append(f"{where}: code block without a known language ({lang or 'none'})")
    for f in failures:
        print(f, file=sys.stderr)
    print(f"README: {checked} code blocks checked, {len(failures)} problems")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
