"""Every file or folder path the docs name in backticks exists, so the docs' maps stay true.

A path is read relative to the repository, or to `ics_capacity/` (the docs' short form, as in
`services/rota.py`); one with `*` must match at least one file. Folders the app or the tests
create (`test-artifacts/`) and the shared data folder beside the repository (`../shared/`, found
through `settings.nhs_data_dir()`, and absent from a clone elsewhere) are not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

EXTENSIONS = "py|md|toml|json|csv|css|ini|txt|yml|yaml|xlsx|js|html|gz|cfg|sh|png|svg|pdf"
PATH = re.compile(rf"`([A-Za-z0-9_.*-]+(?:/[A-Za-z0-9_.*-]+)*(?:\.(?:{EXTENSIONS})|/))`")
NOT_IN_THE_REPO = ("../", "shared/", "test-artifacts/", ".make/", ".web/", ".states/")


def _docs(repo_root: Path) -> list[Path]:
    return [
        repo_root / "README.md",
        repo_root / "CONTRIBUTING.md",
        *sorted((repo_root / "docs").glob("*.md")),
    ]


def _exists(repo_root: Path, path: str) -> bool:
    for base in (repo_root, repo_root / "ics_capacity"):
        if "*" in path:
            if any(base.glob(path)):
                return True
        elif (base / path).exists():
            return True
    return False


def test_every_path_named_in_the_docs_exists(repo_root: Path) -> None:
    missing = []
    for doc in _docs(repo_root):
        for match in PATH.finditer(doc.read_text(encoding="utf-8")):
            path = match.group(1)
            if "/" not in path.rstrip("/") or path.startswith(NOT_IN_THE_REPO):
                continue
            if not _exists(repo_root, path):
                line = doc.read_text(encoding="utf-8").count("\n", 0, match.start()) + 1
                missing.append(f"{doc.relative_to(repo_root)}:{line}: {path}")
    assert not missing, "paths named in the docs that do not exist:\n" + "\n".join(missing)


def test_the_check_reads_the_where_to_find_table(repo_root: Path) -> None:
    """The table of docs/architecture.md is in the paths checked (guards the pattern)."""
    text = (repo_root / "docs" / "architecture.md").read_text(encoding="utf-8")
    paths = {m.group(1) for m in PATH.finditer(text)}
    assert {"services/rota.py", "solvers/rota/", "tests/unit/test_rota_*.py"} <= paths
