"""The docs site's navigation reaches every page (MkDocs only notes a page left out; ``scripts/test.sh`` builds the
site itself with ``mkdocs build --strict``, where a broken link or an unreadable docstring fails)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_docs_page_is_in_the_navigation() -> None:
    listed = set(re.findall(r":\s*([\w/-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE))
    pages = {path.relative_to(ROOT / "docs").as_posix() for path in (ROOT / "docs").rglob("*.md")}
    assert pages == listed, (
        f"not in mkdocs.yml's nav: {sorted(pages - listed)}; missing files: {sorted(listed - pages)}"
    )


def test_the_readme_links_only_to_pages_that_exist() -> None:
    links = re.findall(r"\]\((docs/[^)#]+)", (ROOT / "README.md").read_text())
    assert links and all((ROOT / link).is_file() for link in links), links
