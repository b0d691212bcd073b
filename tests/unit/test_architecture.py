"""The layer rules of docs/architecture.md hold (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_import_contracts_are_kept(repo_root: Path) -> None:
    """Solvers stay pure, layers point down, importers never touch the database or the UI."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=repo_root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# Service functions that a page must never call: the job runner's own path, the pure solves and
# the operator's unchecked readers. Pages submit jobs, watch them and show their results.
SERVICE_INTERNALS = {
    "run_job",
    "dispatch",
    "set_dispatcher",
    "recover_jobs_at_startup",
    "fail_lost_jobs",
    "solve_problem",
    "solve_instance",
    "rota_problem",
    "scenario_rebalance_input",
    "latest_result",
    "copy_latest_result",
    "unit_of_work",
}


def _names_imported(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def test_pages_call_no_solver_or_job_internals(repo_root: Path) -> None:
    """No UI module names a solver, the job runner or an operator-only reader."""
    offenders = {}
    for path in sorted((repo_root / "ics_capacity" / "ui").rglob("*.py")):
        bad = {
            n for n in _names_imported(path) if n in SERVICE_INTERNALS or n.endswith("_as_operator")
        }
        if bad:
            offenders[str(path.relative_to(repo_root))] = sorted(bad)
    assert offenders == {}


def test_every_page_but_sign_in_is_protected() -> None:
    """Pages register through the decorator; only the sign-in page is public."""
    import ics_capacity.ics_capacity  # noqa: F401  (registers the pages)
    from ics_capacity.ui.routes import PAGES

    public = sorted(p.route for p in PAGES if p.public)
    assert public == ["/login"]
    assert len({p.route for p in PAGES}) == len(PAGES) >= 10


def test_server_only_helpers_are_not_client_events() -> None:
    """A method meant for the server (reloading a room, choosing for the picker) is no event."""
    import ics_capacity.ics_capacity  # noqa: F401
    from ics_capacity.ui.state.picker import ScenarioPicker
    from ics_capacity.ui.state.rooms import ScenarioRoom

    assert "refresh" not in ScenarioRoom.event_handlers
    assert set(ScenarioRoom.event_handlers) >= {"join", "join_scenario", "leave"}
    assert not {"_choose", "_list", "choose", "list"} & set(ScenarioPicker.event_handlers)


def test_ids_a_client_must_not_choose_are_backend_vars() -> None:
    """Job and scenario ids that handlers act on are backend-only: the browser cannot set them."""
    import ics_capacity.ics_capacity  # noqa: F401
    from ics_capacity.ui.pages.rebalance import RebalanceState
    from ics_capacity.ui.pages.rota import RotaState
    from ics_capacity.ui.pages.scenario import ScenarioPageState
    from ics_capacity.ui.state.picker import ScenarioPicker

    for cls, name in (
        (RotaState, "_job_id"),
        (RebalanceState, "_job_id"),
        (ScenarioPicker, "_scenario_id"),
        (ScenarioPageState, "_scenario_id"),
    ):
        fields = cls.__fields__
        assert name in fields and fields[name]._backend, f"{cls.__name__}.{name}"
        assert name.lstrip("_") not in fields, f"{cls.__name__} still sends {name}"
