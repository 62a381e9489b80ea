"""The README's results section, written from a profile's result tables between two markers."""

from __future__ import annotations

from pathlib import Path

from sttr.evaluation.conclusions import results_section

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def split_readme(text: str) -> tuple[str, str, str]:
    """(before, generated section, after) of a README with the results markers; an error without them."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"README: expected the markers {BEGIN} and {END}")
    head, rest = text.split(BEGIN, 1)
    body, tail = rest.split(END, 1)
    return head, body, tail


def update_readme(readme: Path, results: Path) -> bool:
    """Write ``results_section(results)`` between the markers of ``readme``; returns whether it changed."""
    text = readme.read_text(encoding="utf-8")
    head, body, tail = split_readme(text)
    new = f"{head}{BEGIN}\n{results_section(results)}{END}{tail}"
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text
