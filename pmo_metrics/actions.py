"""Every write a user can ask for, each checking the user's role first (docs/access.md).

The one door for writes: the dashboard's pages and the command line both call these, never the
store, the ingest pipeline or the exporters directly (tests/unit/test_actions.py keeps it so).
Each function takes the acting `User` (None: nobody signed in), calls `access.require` before
anything is read or written, and raises `AccessDenied` with a user-facing message when the role
does not allow it. No Streamlit here: the pages show refusals, the CLI prints them.

`typed_name` is the name typed in local mode (there is no sign-in to say who it is); a signed-in
user's e-mail is recorded whatever is typed (`User.audit_name`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import access
from .access import User

if TYPE_CHECKING:  # the ingest and export modules load only for the actions that need them
    from .ingest import IngestResult
    from .mapping import Mapping
    from .measures import Scope
    from .store import Store

Progress = Callable[[float, str], None]


def _noop(_fraction: float, _text: str) -> None:
    pass


def load(store: Store, user: User | None, files: list[tuple[str, bytes]], *, as_of: dt.date | None = None,
         csv_sheets: dict[str, str] | None = None, typed_name: str = "", progress: Progress | None = None,
         mode: str | None = None, complete: bool | None = None, units: str | None = None,
         mapping: str | None = None, rebaseline: str | None = None) -> IngestResult:
    """Validate and store a batch as `user` (role `upload`), all or nothing; return the outcome per file.

    A re-baseline declared with it (`rebaseline` = the reason, or the About sheet's cells) takes
    effect only for a user whose role may `rebaseline` (SPEC §9.1); otherwise the batch still loads
    and its changed plans wait as pending re-baselines."""
    access.require(user, "upload")
    from .ingest import ingest

    return ingest(store, files, as_of=as_of, user=user.audit_name(typed_name), csv_sheets=csv_sheets,
                  progress=progress or _noop, mode=mode, complete=complete, units=units, mapping=mapping,
                  rebaseline=rebaseline, may_rebaseline=user.can("rebaseline"))


def load_sample(store: Store, user: User | None, progress: Progress | None = None) -> list[IngestResult]:
    """Load the bundled sample portfolio as one batch (role `upload`); return the outcome."""
    access.require(user, "upload")
    from .ingest import load_sample as load_bundled_sample

    return load_bundled_sample(store, progress or _noop)


def void(store: Store, user: User | None, upload_id: int, typed_name: str = "") -> None:
    """Void a loaded upload (role `void`): its data stops counting; the audit log records who."""
    access.require(user, "void")
    store.void(upload_id, user.audit_name(typed_name))


def close_month(store: Store, user: User | None, month: dt.date,
                typed_name: str = "") -> tuple[bool, str | None, dt.datetime]:
    """Close a reporting month (role `close_month`, SPEC §7.2); return (closed now, by whom, when)."""
    access.require(user, "close_month")
    return store.close_month(month, user.audit_name(typed_name))


def export_scorecard(store: Store, user: User | None, as_of: dt.date, scope: Scope, fmt: str,
                     progress: Progress | None = None) -> bytes:
    """Return the scorecard of `as_of` and `scope` as .xlsx, .pdf or .csv bytes (role `export`)."""
    access.require(user, "export")
    from .exports import write_scorecard

    return write_scorecard(store, as_of, scope, fmt, progress=progress)


def change_setting(store: Store, user: User | None, key: str, text: str) -> object:
    """Store one setting from its text (role `settings`); return the stored value (ValueError when invalid)."""
    access.require(user, "settings")
    return store.set_setting(key, text)


def save_mapping(store: Store, user: User | None, name: str, sheet: str, headers: list, columns: dict[str, str],
                 value_maps: dict[str, dict[str, str]] | None = None, source_sheet: str = "",
                 typed_name: str = "") -> Mapping:
    """Check and store a named column mapping (role `upload`, SPEC §7.6); return it (ValueError when invalid)."""
    access.require(user, "upload")
    from .mapping import save_mapping as store_mapping

    return store_mapping(store, name, sheet, headers, columns, value_maps, source_sheet=source_sheet,
                         user=user.audit_name(typed_name))


def validate_benefit(store: Store, user: User | None, benefit_id: str, from_month: dt.date, to_month: dt.date,
                     evidence: str, typed_name: str = "") -> dict:
    """Validate a benefit's realised values of a period range with evidence (SPEC §9.3): its owner or a PMO
    manager; return the validation. ValueError for a bad range or evidence, StoreError when nothing to validate."""
    access.require(user, "validate_own")
    from .benefit_validation import check_request

    benefit_id, from_month, to_month, evidence = check_request(benefit_id, from_month, to_month, evidence)
    found, owner = store.benefit_owner(benefit_id)
    if not found:
        raise ValueError(f"there is no benefit {benefit_id} in the latest stored month")
    access.require_validation(user, benefit_id, owner)
    return store.add_validation(benefit_id, from_month, to_month, evidence, user.audit_name(typed_name))


def withdraw_validation(store: Store, user: User | None, validation_id: int, reason: str,
                        typed_name: str = "") -> None:
    """Withdraw a validation (role `withdraw_validation`): its periods count as claimed again; the log keeps it."""
    access.require(user, "withdraw_validation")
    from .benefit_validation import check_text

    store.withdraw_validation(validation_id, check_text(reason, "reason"), user.audit_name(typed_name))


def decide_rebaseline(store: Store, user: User | None, rebaseline_id: int, approve: bool, reason: str,
                      typed_name: str = "") -> None:
    """Approve or reject a pending re-baseline with a reason (role `rebaseline`, SPEC §9.1); the audit
    keeps who, when and why (ValueError when it is not pending or has no reason)."""
    access.require(user, "rebaseline")
    store.decide_rebaseline(rebaseline_id, approve, reason, user.audit_name(typed_name))
