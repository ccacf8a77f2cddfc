"""What the benchmark drivers share: writing one section of BENCHMARKS.md, and the facts a section records.

A section sits between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; a driver replaces its own section and
leaves the rest of the file (other sections, hand-written notes) as it is. Each section says which commit,
machine and peer versions produced it: `git_commit`, `cpu_model`, `lock_versions`.
"""

from __future__ import annotations

import platform
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cmd_out(argv: list[str], cwd: Path = REPO) -> str:
    """A command's standard output, stripped; "?" if it cannot run or fails."""
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return "?"
    return done.stdout.strip() if done.returncode == 0 else "?"


def git_commit() -> str:
    """The short commit hash, marked when the working tree has uncommitted changes."""
    commit = cmd_out(["git", "rev-parse", "--short", "HEAD"])
    dirty = cmd_out(["git", "status", "--porcelain", "--untracked-files=no"])
    if dirty not in ("", "?"):
        commit += " + uncommitted changes"
    return commit


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def lock_versions(lock_file: Path, names: tuple[str, ...]) -> str:
    """`name version` of each of `names` found in a Cargo.lock, comma-separated."""
    try:
        lock = lock_file.read_text()
    except OSError:
        return "?"
    found = []
    for name in names:
        m = re.search(rf'name = "{re.escape(name)}"\nversion = "([^"]+)"', lock)
        if m:
            found.append(f"{name} {m.group(1)}")
    return ", ".join(found) or "?"


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
