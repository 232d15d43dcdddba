"""benchmarks/results.md holds one `## ` section per benchmark; each writer replaces only its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

TITLE = "# Benchmark results\n"


def _split(text: str) -> tuple[str, list[str]]:
    """The part before the first `## ` heading (the title, by default TITLE) and the sections."""
    parts = ("\n" + text).split("\n## ")
    head = parts[0].strip("\n")
    return (head + "\n" if head else TITLE), ["## " + part.rstrip("\n") + "\n" for part in parts[1:]]


def _heading(section: str) -> str:
    return section.split("\n", 1)[0]


def _write(path: Path, head: str, sections: list[str]) -> None:
    path.write_text("\n".join([head, *sections]), encoding="utf-8")


def replace_section(path: Path, heading: str, section: str) -> None:
    """Put `section` in place of the one whose heading starts with `heading`, or at the end."""
    head, sections = _split(path.read_text(encoding="utf-8") if path.exists() else "")
    new = section.rstrip("\n") + "\n"
    spots = [i for i, old in enumerate(sections) if _heading(old).startswith(heading)]
    for extra in reversed(spots[1:]):
        del sections[extra]
    if spots:
        sections[spots[0]] = new
    else:
        sections.append(new)
    _write(path, head, sections)


def keep_others(path: Path, rendered: str) -> None:
    """Write `rendered` (a whole results.md) to `path`, keeping the old sections it does not have."""
    _, old = _split(path.read_text(encoding="utf-8") if path.exists() else "")
    head, sections = _split(rendered)
    own = {_heading(section) for section in sections}
    _write(path, head, [*sections, *(section for section in old if _heading(section) not in own)])


def machine_load(start: Sequence[float], cores: int) -> str:
    """What the one-minute load average at a run's start says of other work (later, the run's own counts)."""
    if start[0] > cores:
        return f"**Other work shared the machine** (a load average above its {cores} cores at the start)"
    return f"No other heavy work ran at the start (a load average below its {cores} cores)"
