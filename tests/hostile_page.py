"""What a page written from a hostile post may hold: the checker shared by the page tests and the fuzz test.

A page is inert when, parsed as a browser parses it, it has no element that runs or loads anything,
no event-handler attribute, and no attribute or style that names a URL. The post's own text may
still show on the page (the LaTeX source of a step, escaped): text is not a link.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Elements that run code, load a resource, navigate or submit.
ACTIVE = frozenset("script iframe frame frameset object embed applet img image video audio source track picture "
                   "link base form input button a area meta style svg foreignobject annotation-xml "
                   "semantics maction template portal".split())
#: derive's own page: one <meta charset>, one <meta name=viewport>, one <style> in the head.
OWN_HEAD = {"meta": 2, "style": 1}
#: What would name a resource or run code in an attribute's value or in a style.
URLISH = re.compile(r"(?i)url\s*\(|javascript:|vbscript:|data:|https?:|//|@import|expression\s*\(")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def problems(page: str) -> list[str]:
    """What makes ``page`` not inert (empty if it is inert)."""
    parser = _Tags()
    parser.feed(page)
    parser.close()
    found: list[str] = []
    counts: dict[str, int] = {}
    for tag, attrs in parser.tags:
        if tag in ACTIVE:
            counts[tag] = counts.get(tag, 0) + 1
            if counts[tag] > OWN_HEAD.get(tag, 0):
                found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("href", "src", "srcset", "action", "formaction", "xlink:href",
                                                  "poster", "background", "ping", "data"):
                found.append(f"<{tag} {name}=...>")
            elif value and URLISH.search(value):
                found.append(f"<{tag} {name}={value!r}>")
    found += [f"style sheet: {css[:60]!r}" for css in parser.styles if URLISH.search(css)]
    return found
