"""Every relative link in the README and the pages under docs/ leads somewhere: the file exists, and
a #fragment into a Markdown page names one of its headings."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", flags=re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", flags=re.S)
INLINE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", flags=re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", flags=re.I)   # http:, https:, mailto: …


def prose(text: str) -> str:
    """The page without fenced blocks and code spans, where brackets are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to dashes, repeats numbered."""
    seen: dict[str, int] = {}
    ids = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", FENCE.sub("", page.read_text()), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        ids.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return ids


def links(page: Path) -> list[str]:
    text = prose(page.read_text())
    return INLINE.findall(text) + REFERENCE.findall(text)


CASES = [(page, target) for page in PAGES for target in links(page) if not EXTERNAL.match(target)]


def test_the_pages_link_to_each_other():
    assert len(PAGES) > 1 and CASES


@pytest.mark.parametrize("page,target", CASES, ids=[f"{p.relative_to(REPO)}->{t}" for p, t in CASES])
def test_each_relative_link_resolves(page, target):
    path, _, fragment = target.partition("#")
    destination = (page.parent / unquote(path)).resolve() if path else page
    assert destination.exists(), f"{page.relative_to(REPO)} links {target}, which is not there"
    assert destination.is_relative_to(REPO), f"{page.relative_to(REPO)} links outside the repository: {target}"
    if fragment and destination.suffix == ".md":
        assert unquote(fragment) in anchors(destination), \
            f"{page.relative_to(REPO)} links {target}, but {destination.name} has no such heading"
