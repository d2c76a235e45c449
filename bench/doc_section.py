"""Write one benchmark's figures into its own section of docs/benchmarks.md, leaving the others."""

from __future__ import annotations

import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(name: str, title: str, text: str, doc: Path = DOC) -> None:
    """Replace section `name` of `doc` (between its begin/end markers) with `title` and `text`, or append it."""
    begin, end = f"<!-- begin:{name} -->", f"<!-- end:{name} -->"
    block = f"{begin}\n## {title}\n\n{text.rstrip()}\n{end}"
    current = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    updated = pattern.sub(lambda _: block, current) if pattern.search(current) else current.rstrip() + "\n\n" + block
    doc.write_text(updated.rstrip() + "\n", encoding="utf-8")


def publish(name: str, title: str, text: str, write: bool, json_path: str | None, payload: dict) -> None:
    """Print a benchmark's report; with `write`, put it in its section of docs/benchmarks.md; with
    `json_path`, save `payload` and the report there as JSON."""
    print(text)
    if write:
        write_section(name, title, text)
    if json_path:
        Path(json_path).write_text(json.dumps({**payload, "report": text}, indent=1))
