"""The web pages' HTML. The mentor's and the student's pages are whole files; the console's
sections, its overview (/dashboard) among them, share one shell (console-shell.html: the head,
top bar, section nav, gate and alerts), and each section's file holds only its title and what
goes inside the console's `#app`."""

from __future__ import annotations

import re
from pathlib import Path

SHELL = "console-shell.html"
_TITLE = re.compile(r"<title>(?P<title>[^<]*)</title>\n")


def page_html(path: Path) -> str:
    """The page as the browser gets it: the file itself, or a console section in its shell."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("<!doctype html>"):
        return text
    _comment, _, section = text.partition("\n")
    title = _TITLE.match(section)
    if title is None:
        raise ValueError(f"{path.name} is neither a page nor a console section with a <title>")
    shell = (path.parent / SHELL).read_text(encoding="utf-8")
    return (
        shell.replace("{{title}}", title["title"])
        .replace("{{script}}", path.stem)
        .replace("{{content}}", section[title.end() :])
    )
