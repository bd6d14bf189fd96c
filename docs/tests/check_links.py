"""Every internal link and anchor of the built site resolves, offline: each `href`/`src` that is
not an external URL names a file of the site, and each `#fragment` an `id` (or `name`) in the
page it points to. rustdoc's pages (reference/rust/) are checked for the files rustdoc links to
(its anchors are line ranges its script resolves; a trait's implementors script is asked for
even when there is none); bare words there (`Context`) are links of
dependencies' trait docs that rustdoc cannot resolve without documenting every dependency.

Usage: python docs/tests/check_links.py SITE_DIR
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRS = {("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("source", "src")}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            if (tag, name) in LINK_ATTRS:
                self.links.append(value)


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(errors="replace"))
    return p


def target_of(site: Path, page: Path, link: str) -> tuple[Path, str] | None:
    """The file and fragment an internal link names, or None for an external one."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
        return None
    path = unquote(parts.path)
    if not path:
        return page, parts.fragment
    file = (site / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    file = file.resolve()
    if file.is_dir():
        file = file / "index.html"
    return file, parts.fragment


def main() -> None:
    site = Path(sys.argv[1]).resolve()
    pages = {p: parse(p) for p in site.rglob("*.html")}
    rust = site / "reference" / "rust"
    problems, links = [], 0
    for page, parsed in pages.items():
        for link in parsed.links:
            found = target_of(site, page, link)
            if found is None:
                continue
            in_rust = page.is_relative_to(rust)
            if in_rust and "/" not in link and "." not in link.split("#")[0]:
                continue
            # rustdoc asks for a trait's implementors list even when none is public (a 404 its
            # script ignores).
            if in_rust and "/trait.impl/" in link:
                continue
            links += 1
            file, fragment = found
            where = f"{page.relative_to(site)}: {link}"
            if not file.exists():
                problems.append(f"{where}: no file {file.relative_to(site) if file.is_relative_to(site) else file}")
            elif fragment and file.suffix == ".html" and not in_rust:
                target = pages.get(file) or parse(file)
                if fragment not in target.ids:
                    problems.append(f"{where}: no anchor #{fragment} in {file.relative_to(site)}")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"links: {len(pages)} pages, {links} internal links, {len(problems)} broken")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
