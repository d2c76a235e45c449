"""The one door for writes (pmo_metrics.actions): each action's role check, and no page or CLI around it."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from pmo_metrics import access, actions, schema
from pmo_metrics.access import AccessDenied, User
from pmo_metrics.measures import Scope
from tests.factories import default_rows, make_workbook

ROOT = Path(__file__).resolve().parents[2]
OCT = dt.date(2026, 10, 1)
ADMIN = User("ana@example.com", "admin")


def _mapping_args() -> tuple:
    spec = schema.sheet_for_name("Projects")
    headers = list(spec.required)
    return "Projects as sent", "Projects", headers, {h: h for h in headers}


# Each action with the access.ACTIONS entry it checks, and a call of it on a store holding upload 1.
CALLS = {
    "load": ("upload", lambda store, user: actions.load(store, user, [("2026-11 return.xlsx",
                                                                        make_workbook(about="2026-11"))])),
    "void": ("void", lambda store, user: actions.void(store, user, 1)),
    "close_month": ("close_month", lambda store, user: actions.close_month(store, user, OCT)),
    "export_scorecard": ("export", lambda store, user: actions.export_scorecard(store, user, OCT, Scope(), "csv")),
    "change_setting": ("settings", lambda store, user: actions.change_setting(store, user, "currency", "EUR")),
    "save_mapping": ("upload", lambda store, user: actions.save_mapping(store, user, *_mapping_args())),
    # SPEC §9.3: these users own no benefit, so only a PMO manager or above may validate
    "validate_benefit": ("validate", lambda store, user: actions.validate_benefit(
        store, user, "BEN-001", dt.date(2026, 9, 1), dt.date(2026, 10, 1), "ledger GL-1")),
    "withdraw_validation": ("withdraw_validation",
                            lambda store, user: actions.withdraw_validation(store, user, 1, "wrong ledger")),
    "decide_rebaseline": ("rebaseline",
                          lambda store, user: actions.decide_rebaseline(store, user, 1, False, "not agreed")),
}


def _state(store) -> tuple:
    """Everything a write can change: the audit log, closures, settings, mappings, re-baselines."""
    return (store.query("SELECT upload_id, status, voided_by FROM uploads ORDER BY 1").to_pylist(),
            store.closures().num_rows, store.settings(), store.mappings().num_rows,
            store.validations().select(["validation_id", "status"]).to_pylist(),
            store.rebaselines(include_decided=True).column("status").to_pylist())


@pytest.fixture
def loaded(store):
    """A store holding one loaded upload (id 1), as of 2026-10."""
    result = actions.load(store, ADMIN, [("2026-10 return.xlsx", make_workbook())])
    assert result.ok and result.files[0].upload_id == 1
    actions.validate_benefit(store, ADMIN, "BEN-001", dt.date(2026, 9, 1), dt.date(2026, 9, 1), "ledger")  # id 1
    # a later month's lower plan for BEN-001's 2026-11: re-baseline 1, pending (SPEC §9.1)
    values = [dict(r, planned_value=1_500) if r["period"] == "2026-11" else r for r in default_rows("BenefitValues")]
    later = make_workbook(about="2026-11", BenefitValues=values)
    assert actions.load(store, ADMIN, [("2026-11 return.xlsx", later)]).ok
    assert store.rebaselines().column("rebaseline_id").to_pylist() == [1]
    return store


def test_every_action_is_listed_here():
    public = {name for name in dir(actions) if not name.startswith("_") and callable(getattr(actions, name))
              and getattr(getattr(actions, name), "__module__", "") == actions.__name__}
    assert public == set(CALLS) | {"load_sample"}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("role", [None, *access.ROLES])
def test_each_action_checks_the_role_first(loaded, name, role):
    needed, call = CALLS[name]
    user = None if role is None else User(f"{role}@example.com", role)
    before = _state(loaded)
    if access.can(role, needed):
        call(loaded, user)
        assert _state(loaded) != before or name == "export_scorecard", name
    else:
        with pytest.raises(AccessDenied, match="Sign in first" if user is None else "Nothing was changed"):
            call(loaded, user)
        assert _state(loaded) == before


def test_the_role_table_is_the_one_the_issue_names():
    # viewer refused every write; a submitter may upload but not void; a PMO manager may not change settings
    assert not any(access.can("viewer", a) for a in ("upload", "void", "close_month", "export", "settings"))
    assert access.can("submitter", "upload") and not access.can("submitter", "void")
    assert access.can("pmo_manager", "export") and not access.can("pmo_manager", "settings")


def test_an_unmapped_signed_in_user_is_refused_every_write(loaded):
    nobody = User("eve@elsewhere.org", None)
    for name, (_needed, call) in CALLS.items():
        with pytest.raises(AccessDenied):
            call(loaded, nobody)
        assert loaded.settings().currency != "EUR", name


def test_the_sample_needs_the_upload_role(store):
    with pytest.raises(AccessDenied, match="can check and load uploads"):
        actions.load_sample(store, User("vic@example.com", "viewer"))
    assert store.uploads().num_rows == 0
    [result] = actions.load_sample(store, User("sue@example.com", "submitter"))
    assert result.ok and not store.is_empty()


def test_the_audit_log_records_the_signed_in_name_not_a_typed_one(loaded):
    actions.void(loaded, User("max@example.com", "pmo_manager"), 1, typed_name="someone else")
    assert loaded.query("SELECT voided_by FROM uploads WHERE upload_id = 1")[0][0].as_py() == "max@example.com"


def test_local_mode_records_the_typed_name(loaded):
    _, by, _ = actions.close_month(loaded, User("pat", "admin", local=True), OCT, typed_name="Pat Jones")
    assert by == "Pat Jones"


# -- the command line's user --------------------------------------------------------------------


def test_the_command_line_acts_as_the_os_user_with_every_right_by_default(monkeypatch):
    monkeypatch.setattr(access.getpass, "getuser", lambda: "pat")
    user = access.cli_user({})
    assert (user.name, user.role, user.local) == ("pat", "admin", True)


@pytest.mark.parametrize("text, role", [("viewer", "viewer"), ("Submitter", "submitter"),
                                        ("PMO manager", "pmo_manager"), (" admin ", "admin")])
def test_the_command_line_role_comes_from_the_environment(text, role):
    assert access.cli_user({access.ROLE_ENV: text}).role == role


def test_an_unknown_command_line_role_is_refused():
    with pytest.raises(ValueError, match="PMO_METRICS_ROLE='boss' is not a role"):
        access.cli_user({access.ROLE_ENV: "boss"})


# -- no write around the door -------------------------------------------------------------------

# The core's writers: the ingest pipeline, the store's writes, the mapping save and the exporters.
WRITERS = {"ingest", "load_sample", "void", "close_month", "set_setting", "save_mapping", "record", "load",
           "write_scorecard", "render_scorecard", "add_validation", "withdraw_validation", "decide_rebaseline"}
CALLERS = ["app.py", *sorted(f"views/{p.name}" for p in (ROOT / "views").glob("*.py")),
           *sorted(f"pmo_metrics/ui/{p.name}" for p in (ROOT / "pmo_metrics" / "ui").glob("*.py")),
           "pmo_metrics/cli.py", "pmo_metrics/upload_report.py"]


def direct_writes(source: str) -> list[str]:
    """Return each call of a core writer, or import of one, that does not go through `actions`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and not (node.module or "").endswith("actions"):
            found += [f"import {a.name}" for a in node.names if a.name in WRITERS]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in WRITERS:
            found.append(f"{func.id}()")
        elif isinstance(func, ast.Attribute) and func.attr in WRITERS:
            receiver = func.value.id if isinstance(func.value, ast.Name) else ast.unparse(func.value)
            if receiver != "actions":
                found.append(f"{receiver}.{func.attr}()")
    return found


def test_the_scan_sees_a_write_around_the_door():
    assert direct_writes("store.void(1, 'x')") == ["store.void()"]
    assert direct_writes("from pmo_metrics.ingest import ingest\ningest(s, f)") == ["import ingest", "ingest()"]
    assert direct_writes("from ..exports import write_scorecard") == ["import write_scorecard"]
    assert direct_writes("ui.get_store().set_setting('a', 'b')") == ["ui.get_store().set_setting()"]
    assert direct_writes("actions.void(store, user, 1)\nfrom pmo_metrics.actions import load") == []


@pytest.mark.parametrize("path", CALLERS)
def test_pages_and_the_cli_write_only_through_actions(path):
    assert direct_writes((ROOT / path).read_text(encoding="utf-8")) == []


def test_the_pages_and_the_cli_do_call_actions():
    calls = {path: (ROOT / path).read_text(encoding="utf-8") for path in CALLERS}
    for path, names in {"views/upload.py": ("void", "close_month", "load_sample", "save_mapping"),
                        "views/settings.py": ("change_setting",), "views/scorecards.py": ("export_scorecard",),
                        "pmo_metrics/ui/data.py": ("load_sample",), "pmo_metrics/upload_report.py": ("load",),
                        "pmo_metrics/cli.py": ("load", "load_sample", "void", "close_month", "export_scorecard",
                                               "change_setting", "validate_benefit", "withdraw_validation"),
                        "views/drilldown.py": ("validate_benefit", "withdraw_validation")}.items():
        for name in names:
            assert f"actions.{name}(" in calls[path], (path, name)
