"""The README's results section is the one the mini profile's tables give, and the committed outputs are the
pipeline's."""

from __future__ import annotations

import subprocess

import pytest

from sttr.evaluation.conclusions import results_section
from sttr.pipeline import BENCHMARK_PREFIX, COMMITTED_PROFILE, OUTPUTS_FILE
from sttr.readme import BEGIN, END, split_readme, update_readme
from sttr.repo import repo_root

ROOT = repo_root()


def test_readme_results_section_matches_the_results_tables():
    _, body, _ = split_readme((ROOT / "README.md").read_text(encoding="utf-8"))
    assert body.strip() == results_section(ROOT / "results" / COMMITTED_PROFILE).strip(), (
        "README.md's results section drifted from results/mini/: rerun the pipeline (make reproduce) or "
        "python -c 'from sttr.readme import update_readme; ...'"
    )


def test_update_readme_writes_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nold\n{END}\nrest\n")
    results = tmp_path / "results"
    results.mkdir()
    assert update_readme(readme, results)
    head, body, tail = split_readme(readme.read_text())
    assert head == "intro\n" and tail == "\nrest\n" and "old" not in body
    assert not update_readme(readme, results)  # unchanged the second time
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        update_readme(readme, results)


def _committed(folder: str) -> set[str]:
    out = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_every_committed_output_was_written_by_the_pipeline():
    profile = COMMITTED_PROFILE
    manifest = ROOT / "results" / profile / OUTPUTS_FILE
    if not _committed(f"results/{profile}"):
        pytest.skip("not a git checkout with committed results")
    written = set(manifest.read_text(encoding="utf-8").split())
    committed = _committed(f"figures/{profile}") | _committed(f"results/{profile}")
    bench = {p for p in committed if p.split("/")[-1].startswith(BENCHMARK_PREFIX)}
    for path in bench:  # a benchmark's table is named after the script that writes it
        script = "_".join(path.split("/")[-1].split("_")[:2])
        assert (ROOT / "benchmarks" / f"{script}.py").is_file(), f"{path}: no benchmarks/{script}.py writes it"
    stray = committed - written - bench - {f"results/{profile}/{OUTPUTS_FILE}"}
    assert not stray, f"committed but not written by the {profile} pipeline: {sorted(stray)}"
    assert written <= committed, f"written by the pipeline but not committed: {sorted(written - committed)}"
