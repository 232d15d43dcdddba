"""benchmarks/results.md: each benchmark replaces its own section and keeps everyone else's."""

from __future__ import annotations

from pathlib import Path

from benchmarks import results_md
from benchmarks.results_md import TITLE, keep_others, replace_section

BODY = "# Benchmark results\n\nIntro.\n\n## Targets\n\nkept\n\n## Notes\n\n- a note\n"


def test_a_section_replaces_its_namesake_in_place(tmp_path: Path) -> None:
    path = tmp_path / "results.md"
    path.write_text(BODY + "\n## Load: 50 websocket sessions\n\nfirst\n\n## Image\n\nimage\n")
    replace_section(path, "## Load: ", "## Load: 10 websocket sessions\n\nsecond\n")
    assert path.read_text() == BODY + "\n## Load: 10 websocket sessions\n\nsecond\n\n## Image\n\nimage\n"


def test_a_new_section_goes_to_the_end_and_a_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "results.md"
    replace_section(path, "## Image", "## Image\n\none\n")
    assert path.read_text() == TITLE + "\n## Image\n\none\n"
    replace_section(path, "## Page speed", "## Page speed\n\nratio\n")
    assert path.read_text() == TITLE + "\n## Image\n\none\n\n## Page speed\n\nratio\n"


def test_duplicates_of_a_section_collapse_into_one(tmp_path: Path) -> None:
    path = tmp_path / "results.md"
    path.write_text(TITLE + "\n## Image\n\nold\n\n## Notes\n\nn\n\n## Image\n\nolder\n")
    replace_section(path, "## Image", "## Image\n\nnew\n")
    assert path.read_text() == TITLE + "\n## Image\n\nnew\n\n## Notes\n\nn\n"


def test_a_whole_rewrite_keeps_the_sections_it_does_not_write(tmp_path: Path) -> None:
    path = tmp_path / "results.md"
    path.write_text(BODY + "\n## Load: 50 websocket sessions\n\nload\n\n## Page speed\n\nratio\n")
    keep_others(path, "# Benchmark results\n\nNew intro.\n\n## Targets\n\nnew\n\n## Notes\n\n- new note\n")
    assert path.read_text() == (
        "# Benchmark results\n\nNew intro.\n\n## Targets\n\nnew\n\n## Notes\n\n- new note\n"
        "\n## Load: 50 websocket sessions\n\nload\n\n## Page speed\n\nratio\n"
    )


def test_the_load_note_says_shared_only_when_the_starting_load_exceeds_the_cores() -> None:
    assert results_md.machine_load((0.8, 1.0, 1.7), 2).startswith("No other heavy work")
    assert results_md.machine_load((2.5, 1.0, 1.0), 2).startswith("**Other work shared")
