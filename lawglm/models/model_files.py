"""Files of untrusted model directories: names that must be names, reads confined to the source directory,
and output directories that are replaced only when lawglm made them (`convert chatglm`, `adapters import`).

- A name (`--name`) is one plain path component: letters, digits, `_`, `-`, `.`, not starting with a dot.
- A file named by a checkpoint (a shard index, a symlinked weight) is read only when it resolves inside the
  source directory, or inside the `blobs/` of a Hugging Face hub cache whose `snapshots/<rev>` is the source.
- An existing output is replaced only when it carries the marker file lawglm writes into what it makes, is
  not a symbolic link, and does not hold the source; the new output is built in a fresh hidden directory
  beside it (removed on failure) and swapped in by rename.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from lawglm.errors import LawGLMError

NAME = re.compile(r"[^\W][\w.\-]{0,127}")  # \w is Unicode: 劳动法-lora is a name


def plain_name(name: str, error: type[LawGLMError], field: str = "name") -> str:
    """`name` when it is one safe path component (no separator, not `.`/`..`, no leading dot), else error."""
    if not isinstance(name, str) or not NAME.fullmatch(name) or name != name.strip():
        raise error(f"{field}: {name!r} is not a plain name (letters, digits, _ - . and no leading dot; "
                    "at most 128 characters): a name is not a path")
    return name


def _roots(src: Path) -> list[Path]:
    real = src.resolve()
    roots = [real]
    if real.parent.name == "snapshots":  # Hugging Face hub cache: snapshots/<rev>/<file> -> ../../blobs/<sha>
        roots.append(real.parent.parent / "blobs")
    return roots


def inside(src: Path, name: str | Path, error: type[LawGLMError], what: str = "src") -> Path:
    """SRC/name, refused (error naming it) when it resolves outside SRC (an absolute or `..` name, a symlink
    that leads elsewhere): nothing outside the source is read."""
    name = str(name)
    path = Path(src) / name
    real = path.resolve()
    if Path(name).is_absolute() or not any(real == r or real.is_relative_to(r) for r in _roots(Path(src))):
        raise error(
            f"{what}: {name!r} resolves outside {src} ({real}); only files inside the source are read"
        )
    return path


def check_out(out: Path, overwrite: bool, marker: str, error: type[LawGLMError], *,
              source: Path | None = None) -> None:
    """Refuse an output directory lawglm may not write or replace (before any work is done)."""
    if out.is_symlink():
        raise error(f"out: {out} is a symbolic link; give the real directory")
    if source is not None:
        src_real, out_real = source.resolve(), out.resolve()
        if src_real == out_real or src_real.is_relative_to(out_real):
            raise error(f"out: {out} is or contains the source {source}; choose another directory")
    if out.exists() and not out.is_dir():
        raise error(f"out: {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise error(f"out: {out} exists and is not empty (pass --overwrite to replace it)")
        if not (out / marker).is_file():
            raise error(
                f"out: {out} was not made by lawglm (no {marker}); --overwrite replaces only lawglm's "
                "own output: remove it yourself or choose another directory"
            )


def staging_dir(out: Path) -> Path:
    """A fresh hidden directory beside `out` to build into (never an existing path)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))


def swap_in(tmp: Path, out: Path, marker: str, error: type[LawGLMError]) -> None:
    """Move the finished `tmp` to `out`; an existing `out` (checked again: lawglm's own, not a link) is
    renamed aside first and removed only after the new one is in place."""
    old = None
    if out.exists() or out.is_symlink():
        if out.is_symlink() or not out.is_dir() or (any(out.iterdir()) and not (out / marker).is_file()):
            shutil.rmtree(tmp, ignore_errors=True)
            raise error(f"out: {out} changed while lawglm was writing; nothing was replaced")
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / "old")
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
