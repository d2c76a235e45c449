"""Upload: template, check (validation report, nothing stored), load with progress, history and void."""

from __future__ import annotations

import streamlit as st

from pmo_metrics import access, actions, ui
from pmo_metrics import upload_report as logic
from pmo_metrics.access import User
from pmo_metrics.mapping import IGNORE, parse_value_maps, stored_mappings
from pmo_metrics.template import build_template
from pmo_metrics.ui import auth, state
from pmo_metrics.ui import widgets as w

PROBLEM_CONFIG = {"severity": "Severity", "code": "Code", "file": "File", "sheet": "Sheet", "cell": "Cell",
                  "column": "Column",
                  "value": "Value found", "problem": st.column_config.TextColumn("Problem", width="large")}
SUMMARY_CONFIG = {"file": "File", "status": "Status", "as_of": "Reporting month", "mode": "Mode",
                  "rows": "Rows per sheet",
                  "errors": "Errors", "warnings": "Warnings",
                  "upload_id": st.column_config.NumberColumn("Upload", format="%d")}
HISTORY_CONFIG = {"upload_id": st.column_config.NumberColumn("Upload", format="%d"), "status": "Status",
                  "file_name": "File", "as_of": "Reporting month", "mode": "Mode", "rows": "Rows per sheet",
                  "problems": st.column_config.NumberColumn("Problems", format="%d"), "user_name": "Loaded by",
                  "created_at": st.column_config.DatetimeColumn("When"), "voided_by": "Voided by"}


@st.cache_data(show_spinner=False)
def _template() -> bytes:
    return build_template()


def _progress_bar(text: str):
    bar = st.progress(0.0, text=text)
    return bar, (lambda fraction, message: bar.progress(min(1.0, max(0.0, fraction)), text=message))


def _after_write(months=()) -> None:
    """Forget cached figures and show the newest loaded month, so every page reflects the change."""
    ui.clear_caches()
    if months:
        st.session_state[state.PENDING_MONTH] = max(months)


def _show_report(report: logic.Report) -> None:
    if report.message:
        (st.success if report.ok else st.error)(report.message)
    if not report.summary.empty:
        st.dataframe(report.summary, hide_index=True, column_config=SUMMARY_CONFIG)
    if not report.problems.empty:
        errors = int((report.problems["severity"] == "error").sum())
        st.markdown(f"**Validation report** — {errors} error(s), {len(report.problems) - errors} warning(s)")
        st.dataframe(report.problems, hide_index=True, column_config=PROBLEM_CONFIG, key=f"problems_{report.action}")


def _audit_name_input(user: User, key: str, label: str) -> str:
    """Ask for a name only in local mode (there is no identity); a signed-in user's e-mail is recorded."""
    if user.local:
        return st.text_input(label, key=key, placeholder=user.name,
                             help=f"Local mode has no sign-in; left empty, the audit log records {user.name}.")
    st.caption(f"Recorded in the audit log as {w.text(user.name)}.")
    return ""


def upload_section(store, user: User) -> None:
    """Render the uploader, the month and CSV sheet choices, Check and Load."""
    nonce = st.session_state.setdefault(state.UPLOADER_NONCE, 0)
    uploaded = st.file_uploader("Monthly workbooks or CSV files", type=["xlsx", "xlsm", "csv"],
                                accept_multiple_files=True, key=f"uploader_{nonce}",
                                help="Several files of one month can go together; they load all or nothing.")
    message = st.session_state.pop(state.UPLOAD_MESSAGE, None)
    if message:
        st.success(message, icon=":material/check_circle:")
    if not uploaded:
        st.caption("Pick one or more files. Nothing is stored until you press Load after a clean check.")
        return
    files = [(f.name, f.getvalue()) for f in uploaded]
    left, right = st.columns(2)
    month_text = left.text_input(
        "Reporting month (YYYY-MM)", value=logic.suggested_month([n for n, _ in files]),
        key=f"upload_month_{nonce}",
        help="Prefilled from the file names. Leave empty to take it from each file's About sheet or name.")
    with right:
        typed = _audit_name_input(user, "upload_user", "Your name (for the audit log)")
    # SPEC §7.1: chosen here, else each file's About sheet, else full and not complete.
    left, right = st.columns(2)
    mode = left.selectbox(
        "Upload mode", [None, "full", "incremental"], key=f"upload_mode_{nonce}",
        format_func=lambda v: {None: "From the file (About sheet), else full", "full": "Full: replaces each "
                               "project's earlier rows", "incremental": "Incremental: only the periods given "
                               "replace earlier ones"}[v],
        help="Incremental suits a return that holds only this month's (or this year's) figures.")
    complete = right.selectbox(
        "Lists every project of its portfolios?", [None, True, False], key=f"upload_complete_{nonce}",
        format_func=lambda v: {None: "From the file (About sheet), else no", True: "Yes: projects left out have "
                               "left the portfolio", False: "No"}[v])
    csv_sheets = {}
    for name, _ in files:
        if logic.csv_needs_sheet(name):
            csv_sheets[name] = st.selectbox(f"Which sheet does {w.text(name)} hold?",
                                            logic.SHEET_NAMES, key=f"csv_sheet_{nonce}_{name}")
    units, mapping = _reading_choices(store, nonce)
    rebaseline = _rebaseline_choice(user, nonce)
    # Every check, load and re-check reads the files with the same choices, and the report's
    # fingerprint says which: a report made with other choices is stale.
    choices = {"mode": mode, "complete": complete, "units": units, "mapping": mapping, "rebaseline": rebaseline}
    token = logic.fingerprint(files, month_text, csv_sheets, choices)
    report: logic.Report | None = st.session_state.get(state.UPLOAD_REPORT)
    if report is not None and report.fingerprint != token:
        report = None  # the files or choices changed since the last check
    check_col, load_col = st.columns(2)
    if check_col.button("Check", icon=":material/fact_check:", type="secondary", width="stretch"):
        bar, progress = _progress_bar("Checking")
        report = logic.run_check(store, files, month_text, csv_sheets, progress, **choices)
        bar.empty()
        st.session_state[state.UPLOAD_REPORT] = report
    ready = report is not None and report.action == "check" and report.ok
    if load_col.button("Load", icon=":material/database_upload:", type="primary", width="stretch",
                       disabled=not ready, help=None if ready else "Check the files first; Load unlocks when "
                                                                   "the check finds no errors."):
        bar, progress = _progress_bar("Loading")
        try:
            done, report = auth.attempt(
                lambda: logic.run_load(store, files, month_text, csv_sheets, user, progress, typed_name=typed,
                                       **choices))
        finally:
            bar.empty()
        if not done:
            return
        st.session_state.pop(state.UPLOAD_REPORT, None)
        if report.ok:
            _after_write(report.months)
            st.session_state[state.UPLOADER_NONCE] = nonce + 1  # a fresh, empty uploader
            st.session_state[state.UPLOAD_MESSAGE] = report.message
            st.rerun()
        ui.clear_caches()  # a rejected load is in the audit log now
    if report is not None:
        _show_report(report)
        _error_workbooks(files, report)
        _map_columns(store, user, files, report, nonce,
                     lambda: logic.run_check(store, files, month_text, csv_sheets, **choices))


def _reading_choices(store, nonce: int) -> tuple[str | None, str | None]:
    """The money unit and column mapping to read the files with (SPEC §7.4, §7.6)."""
    left, right = st.columns(2)
    unit = left.selectbox("Amounts are in", logic.UNIT_OPTIONS, key=f"upload_units_{nonce}",
                          help="units: as written, unless the About sheet or a column header says otherwise "
                               "(e.g. Whole Life Cost (£m)). Stored in full currency units.")
    names = [m.name for m in stored_mappings(store)]
    chosen = right.selectbox("Column mapping", ["automatic", *names], key=f"upload_mapping_{nonce}",
                             help="automatic: a saved mapping is applied to a sheet with the same headers.")
    return logic.units_choice(unit), (None if chosen == "automatic" else chosen)


def _error_workbooks(files, report: logic.Report) -> None:
    """Offer each rejected file back with its bad cells marked (SPEC §7.7)."""
    for index, name in enumerate(report.rejected):
        file_name, data = logic.error_workbook_for(files, report, name)
        st.download_button(f"Download {w.text(name)} with its problems marked (.xlsx)", data=data,
                           file_name=file_name, icon=":material/download:", key=f"error_workbook_{index}",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _save_mapping(store, user: User, name: str, sheet: str, preview, columns: dict, values: str) -> bool:
    """Save the mapping as `user`; return True when saved, else show why (a bad mapping, a refusal)."""
    return auth.attempt(lambda: actions.save_mapping(store, user, name, sheet, preview.headers, columns,
                                                     parse_value_maps(values), source_sheet=preview.tab),
                        invalid="Not saved")[0]


def _map_columns(store, user: User, files, report: logic.Report, nonce: int, recheck) -> None:
    """SPEC §7.6 "map your columns": a drop-down per header with the sheet's first rows, saved by name."""
    previews = logic.sheets_to_map(files, report)
    if not previews:
        return
    st.markdown("**Map your columns** — some sheets have headers the template does not use. Say what each "
                "column holds, save the mapping by name, and the files are checked again with it.")
    for index, preview in enumerate(previews):
        key = f"map_{nonce}_{index}"
        with st.expander(f"{w.text(preview.file)} · sheet {w.text(preview.tab)}",
                         expanded=index == 0):
            st.caption(f"Header on row {preview.header_row}; the first rows:")
            st.dataframe(logic.preview_frame(preview), hide_index=True)
            sheet = st.selectbox("This sheet holds", logic.SHEET_NAMES, key=f"{key}_sheet",
                                 index=logic.SHEET_NAMES.index(preview.sheet) if preview.sheet else 0)
            options = [IGNORE, *logic.columns_of(sheet)]
            columns = {}
            for number, header in enumerate(h for h in preview.headers if h):
                guess = preview.guesses.get(header, IGNORE)
                columns[header] = st.selectbox(
                    f"Column {w.text(header)}", options, key=f"{key}_col_{number}",
                    index=options.index(guess) if guess in options else 0,
                    format_func=lambda c: c or "ignore")
            values = st.text_area("Translate values (optional), one per line", key=f"{key}_values",
                                  placeholder="portfolio: BEIS -> DESNZ\nstage: Delivery -> execution")
            name = st.text_input("Save this mapping as", key=f"{key}_name", placeholder="e.g. GMPP annual return")
            if st.button("Save mapping and check again", key=f"{key}_save", icon=":material/save:"):
                if not _save_mapping(store, user, name, sheet, preview, columns, values):
                    return
                # The same header set gets the saved mapping automatically: check again as the form stands.
                st.session_state[state.UPLOAD_REPORT] = recheck()
                st.session_state[state.UPLOAD_MESSAGE] = f"Mapping {name!r} saved; the files were checked again."
                st.rerun()


def _cancel_void() -> None:
    st.session_state.pop(state.VOID_PENDING, None)


@st.dialog("Void this upload?", on_dismiss=_cancel_void)
def _confirm_void(store, user: User, upload_id: int, file_name: str) -> None:
    st.write(f"Upload {upload_id} ({file_name}) will stop counting. Its data falls back to what was effective "
             "before it. Nothing is deleted and the audit log keeps the record.")
    typed = _audit_name_input(user, "void_user", "Your name")
    confirm, cancel = st.columns(2)
    if cancel.button("Cancel", width="stretch"):
        _cancel_void()
        st.rerun()
    if confirm.button("Void upload", type="primary", icon=":material/block:", width="stretch"):
        _cancel_void()
        if not auth.attempt(lambda: actions.void(store, user, upload_id, typed))[0]:
            return
        _after_write()
        st.session_state[state.UPLOAD_MESSAGE] = f"Upload {upload_id} voided."
        st.rerun()


def history_section(store, ctx: ui.Context, user: User) -> None:
    """Render the audit log, the void action (PMO managers and admins) and the stored problems of any upload."""
    uploads = ui.data.uploads(ctx.path, store.data_version())
    if uploads.empty:
        st.info("No uploads yet.")
        if st.button("Load the sample portfolio", icon=":material/science:"):
            bar, progress = _progress_bar("Loading the sample")
            try:
                done, _ = auth.attempt(lambda: actions.load_sample(store, user, progress))
            finally:
                bar.empty()
            if not done:
                return
            _after_write(store.reporting_months()[:1])
            st.rerun()
        return
    st.dataframe(logic.history_frame(uploads), hide_index=True, column_config=HISTORY_CONFIG, height=320,
                 key="upload_history")
    loaded = uploads[uploads["status"] == "loaded"]
    names = dict(zip(loaded["upload_id"], loaded["file_name"], strict=True))
    if names and user.can("void"):
        # Keyed on the newest upload, so after a load the choice starts at the newest again.
        chosen = st.selectbox("Upload to void", list(names), format_func=lambda i: f"{i} · {names[i]}",
                              key=f"void_choice_{max(names)}")
        if st.button("Void…", icon=":material/block:"):
            st.session_state[state.VOID_PENDING] = int(chosen)
        # The dialog stays open across reruns until confirmed or dismissed (its buttons rerun the page).
        pending = st.session_state.get(state.VOID_PENDING)
        if pending in names:
            _confirm_void(store, user, pending, names[pending])
    elif names:
        st.caption("Voiding an upload is for PMO managers and admins.")
    with_problems = logic.history_frame(uploads)
    with_problems = with_problems[with_problems["problems"] > 0]
    if not with_problems.empty:
        names_all = dict(zip(uploads["upload_id"], uploads["file_name"], strict=True))
        pick = st.selectbox("Show the problems stored with upload", with_problems["upload_id"].tolist(),
                            format_func=lambda i: f"{i} · {names_all.get(i, '')}", key="problems_choice")
        st.dataframe(logic.stored_problems(uploads, pick), hide_index=True, column_config=PROBLEM_CONFIG)


def _rebaseline_choice(user: User, nonce: int) -> str | None:
    """SPEC §9.1: a PMO manager may declare that the upload re-baselines its plans, with the reason."""
    if not user.can("rebaseline"):
        return None
    if not st.checkbox("This upload re-baselines its plans", key=f"upload_rebaseline_{nonce}",
                       help="Changed plans (planned cost, planned value, targets) of a later month become the "
                            "baseline. Left unticked, they are held as pending re-baselines for approval."):
        return None
    reason = st.text_input("Reason for the re-baseline (kept in the audit log)",
                           key=f"upload_rebaseline_reason_{nonce}")
    if not reason.strip():
        st.warning("Give the reason; without one the upload is checked as not re-baselining.")
        return None
    return reason.strip()


REBASELINE_CONFIG = {"rebaseline_id": st.column_config.NumberColumn("Re-baseline", format="%d"), "status": "Status",
                     "upload_id": st.column_config.NumberColumn("Upload", format="%d"), "file_name": "File",
                     "as_of": "Reporting month", "kind": "Plan", "entity_key": "Project / benefit / KPI",
                     "periods": st.column_config.NumberColumn("Periods changed", format="%d"),
                     "first_period": "From", "last_period": "To",
                     "baseline_total": st.column_config.NumberColumn("Baseline", format="%,.2f"),
                     "proposed_total": st.column_config.NumberColumn("Proposed", format="%,.2f"),
                     "change": st.column_config.NumberColumn("Change", format="%,.2f"),
                     "requested_by": "Loaded by", "decided_by": "Decided by",
                     "decided_at": st.column_config.DatetimeColumn("When"), "reason": "Why"}
PENDING_COLUMNS = ["rebaseline_id", "upload_id", "file_name", "as_of", "kind", "entity_key", "periods", "first_period",
                   "last_period", "baseline_total", "proposed_total", "change", "requested_by"]
DECIDED_COLUMNS = ["rebaseline_id", "status", "as_of", "kind", "entity_key", "periods", "baseline_total",
                   "proposed_total", "decided_by", "decided_at", "reason"]


def rebaseline_section(store, ctx: ui.Context, user: User) -> None:
    """SPEC §9.1: the pending re-baselines, approved or rejected with a reason by a PMO manager, and the
    decisions made (who, when, why)."""
    pending = ui.data.rebaselines(ctx.path, store.data_version())
    if pending.empty:
        st.caption("No pending re-baselines: every plan in the store is its approved baseline.")
    else:
        st.caption("Plans a later month's upload changed without a declared re-baseline. Until a PMO manager "
                   "approves one, the measures keep the baseline.")
        st.dataframe(pending[PENDING_COLUMNS], hide_index=True, column_config=REBASELINE_CONFIG, key="rebaselines")
        if user.can("rebaseline"):
            rows = dict(zip(pending["rebaseline_id"], pending["entity_key"] + " · " + pending["kind"], strict=True))
            chosen = st.selectbox("Re-baseline", list(rows), format_func=lambda i: f"{i} · {rows[i]}",
                                  key="rebaseline_choice")
            reason = st.text_input("Reason (kept in the audit log)", key="rebaseline_reason")
            typed = _audit_name_input(user, "rebaseline_user", "Your name (for the audit log)")
            approve_col, reject_col = st.columns(2)
            for column, approve, label in ((approve_col, True, "Approve"), (reject_col, False, "Reject")):
                if column.button(label, key=f"rebaseline_{label.lower()}", disabled=not reason.strip(),
                                 width="stretch"):
                    done, _ = auth.attempt(lambda a=approve: actions.decide_rebaseline(
                        store, user, int(chosen), a, reason, typed), invalid="Not decided")
                    if done:
                        _after_write()
                        st.session_state[state.UPLOAD_MESSAGE] = (
                            f"Re-baseline {chosen} {'approved: the baseline follows it' if approve else 'rejected'}.")
                        st.rerun()
        else:
            st.caption("Approving or rejecting a re-baseline is for PMO managers and admins.")
    decided = ui.data.rebaselines(ctx.path, store.data_version(), True)
    decided = decided[decided["status"] != "pending"]
    if not decided.empty:
        with st.expander(f"Decided re-baselines ({len(decided)})"):
            st.dataframe(decided[DECIDED_COLUMNS], hide_index=True, column_config=REBASELINE_CONFIG,
                         key="rebaselines_decided")


def close_section(store, ctx: ui.Context, user: User) -> None:
    """Render the month closing (SPEC §7.2, PMO managers and admins): a month whose returns are not all in
    is closed so that it counts as complete; the audit log records who closed it and when."""
    closures = ui.data.closures(ctx.path, store.data_version())
    if not closures.empty:
        st.dataframe(closures, hide_index=True, key="closures",
                     column_config={"month": "Closed month", "closed_by": "Closed by",
                                    "closed_at": st.column_config.DatetimeColumn("When")})
    if not user.can("close_month"):
        st.caption("Closing a month is for PMO managers and admins.")
        return
    months = ui.data.reporting_months(ctx.path, store.data_version())
    if not months:
        return
    month = st.selectbox("Month to close", months, format_func=w.month_label, key="close_month_choice")
    status = ui.data.reporting_status(ctx.path, store.data_version(), month, (None, None, None))
    st.caption(f"{status.reported} of {status.projects} projects reported for {w.month_label(month)}"
               + (" · closed" if status.closed else ""))
    typed = _audit_name_input(user, "close_user", "Your name (for the audit log)")
    if st.button("Close month", icon=":material/event_available:", disabled=status.closed, key="close_month"):
        done, closed = auth.attempt(lambda: actions.close_month(store, user, month, typed))
        if done:
            _after_write()
            st.session_state[state.UPLOAD_MESSAGE] = logic.closed_message(month, *closed)
            st.rerun()


def body() -> None:
    """Render the upload page."""
    ctx = ui.context()
    store = ui.get_store()
    user = auth.current_user()
    st.title("Upload")
    st.caption("Load monthly returns. Files are checked first; a file with any error loads nothing.")
    st.download_button("Download the input template (.xlsx)", data=_template(), file_name="pmo-input-template.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:", key="template_download")
    st.subheader("1 · Check and load")
    # The router hides this page from viewers; this covers the page script run some other way.
    if not auth.attempt(lambda: access.require(user, "upload"))[0]:
        return
    upload_section(store, user)
    st.subheader("2 · Upload history")
    history_section(store, ctx, user)
    st.subheader("3 · Close a month")
    close_section(store, ctx, user)
    st.subheader("4 · Re-baselines")
    rebaseline_section(store, ctx, user)


ui.guarded(body)
