"""Building binaries of the bench crate by name, for the drivers that run them (`run.py`, `echo.py`)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TARGET_DIR = BENCH / "target"


def cargo_build(bins: list[str], features: list[str], build_log: Path, log: Callable[[str], None]) -> tuple[bool, str]:
    """Builds `bins` in release with `features`, appending the output to `build_log`; returns (ok, stderr)."""
    argv = ["cargo", "build", "--release", "--manifest-path", str(BENCH / "Cargo.toml")]
    for f in features:
        argv += ["--features", f]
    for b in bins:
        argv += ["--bin", b]
    log(" ".join(argv[:3] + argv[5:]))
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET_DIR))
    p = subprocess.run(argv, cwd=BENCH, env=env, capture_output=True, text=True, check=False)
    build_log.parent.mkdir(parents=True, exist_ok=True)
    with build_log.open("a") as f:
        f.write(f"$ {' '.join(argv)}\n{p.stdout}{p.stderr}\n")
    return p.returncode == 0, p.stderr
