"""Every code block of README.md and of the documentation site's pages (docs/**/*.md) is one of
the examples, or is run by a test.

- A block made only of snippet includes (`--8<-- "examples/python/quickstart.py:export"`, how the
  site shows examples) must name a file under examples/ or core/examples/ (which make test runs)
  and, when it names a section, a section marked in that file;
- python / js / rust blocks must be verbatim excerpts of a file under examples/ or core/examples/;
- sh blocks: verbatim excerpts of a script under examples/ pass whole; otherwise `make T` needs a
  target T; `pip install` / `npm install` / `cargo install` lines must be run by the install test
  (tests/dist/install-test.sh); `scripts/with-mock ...` lines are run here;
- text blocks (layouts, synopses, output) are not code. A block without a language is an error.

Fenced blocks may be indented (inside the site's tabs).
"""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXCERPT_LANGS = {"python", "js", "rust"}
INCLUDE = re.compile(r'^--8<-- "([^":]+)(?::([\w-]+))?"$')
# Pages the build generates (gitignored), checked by their generators instead.
GENERATED = ("docs/reference/javascript/", "docs/reference/cli.md")


def blocks(text):
    for m in re.finditer(r"^(?P<indent> *)```(\w*)\n(.*?)^(?P=indent)```$", text, re.S | re.M):
        yield m.group(2), textwrap.dedent(m.group(3)), text[: m.start()].count("\n") + 1


def example_files():
    files = [p for d in ("examples", "core/examples") for p in (ROOT / d).rglob("*") if p.is_file()]
    return [p for p in files if "node_modules" not in p.parts]


def pages():
    yield ROOT / "README.md"
    for p in sorted((ROOT / "docs").rglob("*.md")):
        rel = p.relative_to(ROOT).as_posix()
        if not rel.startswith(GENERATED):
            yield p


def include_problem(line, examples):
    """Why a snippet include line is not a tested example, or None."""
    m = INCLUDE.match(line.strip())
    if not m:
        return f"{line.strip()!r} is not a snippet include"
    path, section = ROOT / m.group(1), m.group(2)
    if path not in examples:
        return f"{m.group(1)} is not a file under examples/ or core/examples/"
    if section and f"--8<-- [start:{section}]" not in path.read_text():
        return f"{m.group(1)} has no section {section!r}"
    return None


def main():
    makefile = (ROOT / "Makefile").read_text()
    install_test = (ROOT / "tests" / "dist" / "install-test.sh").read_text()
    examples = set(example_files())
    texts = [p.read_text() for p in examples]
    failures, checked = [], 0
    for page in pages():
        for lang, code, line in blocks(page.read_text()):
            where = f"{page.relative_to(ROOT)}:{line}"
            if lang == "text":
                continue
            checked += 1
            lines = [x for x in code.splitlines() if x.strip()]
            if lines and all(x.strip().startswith("--8<--") for x in lines):
                failures += [f"{where}: {p}" for x in lines if (p := include_problem(x, examples))]
            elif lang in EXCERPT_LANGS:
                if not any(code in e for e in texts):
                    failures.append(f"{where}: this {lang} block is not an excerpt of any example file")
            elif lang == "sh" and any(code in e for e in texts):
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
                    elif cmd.startswith(("pip install", "npm install", "cargo install")):
                        if cmd not in install_test:
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
    print(f"README and docs: {checked} code blocks checked, {len(failures)} problems")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
