"""Writing one section of BENCHMARKS.md, shared by the benchmark drivers.

A section sits between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; a driver replaces its own section and
leaves the rest of the file (other sections, hand-written notes) as it is.
"""

from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The begin and end markers of section `name`."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def write_section(path: Path, name: str, body: str) -> None:
    """Replaces section `name` of `path` with `body` (appending it, or creating the file, if absent)."""
    begin, end = markers(name)
    section = f"{begin}\n{body.strip(chr(10))}\n{end}"
    if path.exists():
        text = path.read_text()
        if begin in text and end in text and text.index(begin) < text.index(end):
            text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
    else:
        text = "# Benchmarks\n\n" + section + "\n"
    path.write_text(text)
