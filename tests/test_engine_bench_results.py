"""The engine benchmark writes only its own section of the shared benchmarks/RESULTS.md."""

from benchmarks.bench_engine import ENGINE_END, ENGINE_START, write_section


def test_engine_section_is_replaced_and_the_rest_kept(tmp_path):
    path = tmp_path / "RESULTS.md"
    ensemble = "<!-- ensemble:start -->\nensemble table\n<!-- ensemble:end -->\n"
    path.write_text(f"{ENGINE_START}\nold engine table\n{ENGINE_END}\n\n{ensemble}")
    write_section(path, "new engine table\n")
    assert path.read_text() == f"{ENGINE_START}\nnew engine table\n{ENGINE_END}\n\n{ensemble}"


def test_a_file_without_markers_keeps_its_text_below_the_section(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("notes by someone else\n")
    write_section(path, "engine table")
    assert path.read_text() == f"{ENGINE_START}\nengine table\n{ENGINE_END}\n\nnotes by someone else\n"
    write_section(tmp_path / "new.md", "engine table")
    assert (tmp_path / "new.md").read_text() == f"{ENGINE_START}\nengine table\n{ENGINE_END}\n"
