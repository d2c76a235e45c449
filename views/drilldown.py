"""Drill-down: portfolio → programme → project → benefit, each with its measures, charts and source uploads.

Where the user stands lives in the address bar (?drill_portfolio=…&drill_programme=…&drill_project=…
&drill_benefit=…), so a level can be shared as a link, a breadcrumb jumps back up, and the browser's
Back button undoes the last step: each step changes the query string (a new history entry), and
every run draws the level the URL names.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pmo_metrics import access, actions, charts, ui
from pmo_metrics.measures import Scope
from pmo_metrics.ui import auth, state
from pmo_metrics.ui import widgets as w

UPLOAD_COLUMNS = {"upload_id": "Upload", "file_name": "File", "as_of": "Reporting month", "sheet": "Data",
                  "entities": st.column_config.NumberColumn("Entities supplied", format="%d"),
                  "user_name": "Loaded by", "created_at": st.column_config.DatetimeColumn("Loaded at")}
LEVELS = ("portfolio", "programme", "project", "benefit")
KEYS = {"portfolio": state.DRILL_PORTFOLIO, "programme": state.DRILL_PROGRAMME, "project": state.DRILL_PROJECT,
        "benefit": state.DRILL_BENEFIT}
CLICKED = "drill_clicked"  # the chart click already followed, so Back does not follow it again


def url_state() -> dict[str, str | None]:
    """Return the drill-down path the address bar names (a level not named is None)."""
    return {level: st.query_params.get(state.DRILL_URL[level]) or None for level in LEVELS}


def go(level: str, value) -> None:
    """Step to `value` at `level` in the address bar; the levels below it are cleared."""
    below = LEVELS[LEVELS.index(level) + 1:]
    for lower in below:
        st.query_params.pop(state.DRILL_URL[lower], None)
    if value is None:
        st.query_params.pop(state.DRILL_URL[level], None)
    else:
        st.query_params[state.DRILL_URL[level]] = str(value)


ALL = "__all__"  # the "All …" choice; None would show as an empty box (Streamlit's "no selection")


def _changed(level: str) -> None:
    value = st.session_state.get(KEYS[level])
    go(level, None if value == ALL else value)


def _choose(level: str, label: str, options: list, current, names: dict | None = None,
            all_label: str | None = None):
    """Render a selectbox showing the URL's choice at `level`; picking another steps there."""
    choices = ([ALL] if all_label else []) + options
    if not choices:
        return None
    chosen = current if current in choices else choices[0]
    st.session_state[KEYS[level]] = chosen  # the URL decides, so Back shows the level before

    def show(value):
        if value == ALL:
            return all_label
        return f"{value} · {names[value]}" if names and names.get(value) else str(value)

    picked = st.selectbox(label, choices, key=KEYS[level], format_func=show, on_change=_changed, args=(level,))
    return None if picked == ALL else picked


def _breadcrumb(path: list[tuple[str, str, object]]) -> None:
    """Render 'Portfolio › Programme › Project › Benefit' with a button per level that returns to it."""
    cols = st.columns([1] * len(path) + [max(1, 6 - len(path))])
    for i, (column, (level, label, value)) in enumerate(zip(cols, path, strict=False)):
        last = i == len(path) - 1
        column.button(f"{label}: {w.text(value)}" + ("" if last else " ›"), key=f"crumb_{level}",
                      disabled=last, type="tertiary", on_click=go,
                      args=(LEVELS[i + 1], None) if not last else ("benefit", None))


def _follow_click(event, param: str, field: str, level: str, allowed: set) -> None:
    """Drill into the mark a user clicked (once per click) and rerun at that level."""
    picked = [p for p in w.selected(event, param, field) if p in allowed]
    click = (level, picked[0]) if picked else None
    if click and click != st.session_state.get(CLICKED):
        st.session_state[CLICKED] = click
        go(level, picked[0])
        st.rerun()
    if click is None:
        st.session_state.pop(CLICKED, None)


def _uploads(ctx: ui.Context, kinds: tuple[str, ...], keys: list[str]) -> None:
    """Render the uploads whose rows this level's figures come from."""
    frame = ui.data.supplying_uploads(ctx.path, ctx.version, ctx.as_of, kinds, tuple(sorted(set(keys))))
    with st.expander(f"Source uploads ({frame['upload_id'].nunique()} file(s))", icon=":material/source:"):
        if frame.empty:
            st.caption("No stored upload supplies this data.")
        else:
            st.dataframe(frame, hide_index=True, column_config=UPLOAD_COLUMNS)


def _commentary(ctx: ui.Context, project_ids: tuple[str, ...] = (), benefit_ids: tuple[str, ...] = ()) -> None:
    """Render the commentary history of a project or benefit: month, who loaded it, the text (SPEC §8.2)."""
    frame = ui.data.commentary(ctx.path, ctx.version, ctx.as_of, project_ids, benefit_ids)
    if frame.empty:
        return
    box = st.container(border=True)
    box.markdown("**Commentary**")
    latest, older = frame.head(1), frame.iloc[1:]
    for part, where in ((latest, box), (older, box.expander(f"Earlier commentary ({len(older)})") if len(older)
                                         else None)):
        if where is None:
            continue
        for row in part.itertuples():
            month = row.month.strftime("%b %Y") if hasattr(row.month, "strftime") else str(row.month)[:7]
            # users' text: shown as plain text, never as Markdown
            where.text(f"{month} · {row.user_name or 'loaded by an unknown user'}")
            where.text(row.commentary)


def _delivery_metrics(row: pd.Series, currency: str) -> None:
    cols = st.columns(5)
    cols[0].metric("CPI", w.ratio(row.get("cpi")), help="Earned ÷ actual cost")
    cols[1].metric("SPI", w.ratio(row.get("spi")), help="Earned ÷ planned value")
    cols[2].metric("BAC", w.money(row.get("bac"), currency), help="Budget at completion")
    cols[3].metric("EAC", w.money(row.get("eac"), currency), help="Estimate at completion BAC ÷ CPI")
    cols[4].metric("VAC", w.money(row.get("vac"), currency), help="Variance at completion BAC − EAC")
    confidence = row.get("delivery_confidence")
    rated = {"evm": " · from min(CPI, SPI)",
             "confidence": " · from the delivery confidence"}.get(row.get("rag_source"), "")
    # the rating is one of five canonical words (pmo_metrics/confidence.py), never free text
    said = f" · delivery confidence **{confidence}**" if isinstance(confidence, str) else ""
    st.markdown(f"Delivery RAG: {w.rag_badge(row.get('rag'))}{rated}{said}")


def _benefit_metrics(row: pd.Series | None, count: int, currency: str, thresholds: tuple) -> None:
    """Render a level's benefit figures: one row of measures.realisation (financial flow benefits)."""
    cols = st.columns(4)
    cols[0].metric("Benefits", count)
    get = (lambda k: None) if row is None else row.get
    cols[1].metric("Planned to date", w.money(get("planned_to_date"), currency))
    cols[2].metric("Realised to date", w.money(get("realised_to_date"), currency))
    cols[3].metric("Realisation rate", w.pct(get("realisation_rate"), thresholds=thresholds),
                   help=f"Financial flow benefits in {currency}: realised ÷ planned to date")


def _raid(ctx: ui.Context, project: str, benefit: str | None = None) -> None:
    """Render the project's RAID items (SPEC §10.3), open issues and overdue items flagged first; at a
    benefit, only the items naming it."""
    items = ui.data.raid_items(ctx.path, ctx.version, ctx.as_of, project, benefit)
    if items.empty:
        return
    overdue, issues = int(items["overdue_items"].iloc[0]), int(items["open_issues"].iloc[0])
    flags = []
    if issues:
        flags.append(f"{issues} open issue{'s' if issues > 1 else ''}")
    if overdue:
        flags.append(f"{overdue} overdue item{'s' if overdue > 1 else ''} (open, due before {ctx.as_of:%b %Y})")
    if flags:
        st.warning(" · ".join(flags), icon=":material/flag:")
    shown = items.assign(flag=["Overdue" if o else ("Open issue" if t == "issue" and s == "open" else "")
                               for o, t, s in zip(items["overdue"], items["type"], items["status"], strict=True)],
                         type=items["type"].str.capitalize(), status=items["status"].str.capitalize())
    st.markdown(f"**RAID log** ({len(items)} item{'s' if len(items) > 1 else ''})")
    st.dataframe(shown[["flag", "raid_id", "type", "title", "status", "owner", "due_date", "benefit_ids",
                        "probability", "impact", "commentary"]], hide_index=True,
                 column_config={"flag": st.column_config.TextColumn("Flag", pinned=True),
                                "raid_id": st.column_config.TextColumn("Item", pinned=True), "type": "Type",
                                "title": "Title", "status": "Status", "owner": "Owner",
                                "due_date": st.column_config.DateColumn("Due"), "benefit_ids": "Benefits",
                                "probability": st.column_config.NumberColumn("Probability", format="percent"),
                                "impact": st.column_config.NumberColumn(f"Impact ({ctx.currency})", format="%,.0f"),
                                "commentary": "Commentary"})


def _group_row(frame: pd.DataFrame, value) -> pd.Series | None:
    rows = frame[frame["group"] == value]
    return None if rows.empty else rows.iloc[0]


def body() -> None:
    """Render the drill-down page."""
    ctx = ui.context()
    ui.page_header("Drill-down", ctx, "from portfolio to programme to project to benefit")
    if w.no_data(ctx):
        return
    dims = ui.data.dimensions(ctx.path, ctx.version, ctx.as_of)
    for column, value in (("portfolio", ctx.scope.portfolio), ("programme", ctx.scope.programme)):
        if value:
            dims = dims[dims[column] == value]
    if w.empty_scope(dims, "projects"):
        return
    settings = ui.data.settings(ctx.path, ctx.version)
    thresholds = (settings.benefit_green, settings.benefit_amber)
    url = url_state()
    cols = st.columns(4)
    with cols[0]:
        portfolio = _choose("portfolio", "Portfolio", sorted(dims["portfolio"].dropna().unique()), url["portfolio"])
    in_portfolio = dims[dims["portfolio"] == portfolio]
    with cols[1]:
        programme = _choose("programme", "Programme", sorted(in_portfolio["programme"].dropna().unique()),
                            url["programme"], all_label="All programmes")
    in_programme = in_portfolio if programme is None else in_portfolio[in_portfolio["programme"] == programme]
    names = dict(zip(in_programme["project_id"], in_programme["project_name"], strict=False))
    with cols[2]:
        project = _choose("project", "Project", sorted(in_programme["project_id"].unique()), url["project"], names,
                          all_label="All projects")
    scope = Scope(portfolio, programme, ctx.scope.objective)
    scoped = ui.Context(ctx.path, ctx.version, ctx.as_of, scope, ctx.currency)
    shown_tables = ui.data.tables(scoped, "drilldown")
    delivery, benefits = shown_tables["delivery"], shown_tables["benefits"]
    with cols[3]:
        mine = benefits if project is None else benefits[benefits["project_id"] == project]
        benefit_names = dict(zip(mine["benefit_id"], mine["benefit_name"], strict=False))
        benefit = _choose("benefit", "Benefit", sorted(mine["benefit_id"].unique()), url["benefit"], benefit_names,
                          all_label="All benefits") if project else None

    path = [("portfolio", "Portfolio", portfolio)]
    if programme:
        path.append(("programme", "Programme", programme))
    if project:
        path.append(("project", "Project", project))
    if benefit:
        path.append(("benefit", "Benefit", benefit))
    _breadcrumb(path)

    # Portfolio or programme level
    level = "programme" if programme else "portfolio"
    st.subheader(f"{level.capitalize()} {w.text(programme or portfolio)}")
    rollup = ui.data.rollup(scoped, level)
    row = rollup[rollup[level] == (programme or portfolio)]
    if not row.empty:
        _delivery_metrics(row.iloc[0], ctx.currency)
    if project is None:
        sums = ui.data.realisation(ctx, level, top=None, scope=scope)
        _benefit_metrics(_group_row(sums, programme or portfolio), len(benefits), ctx.currency, thresholds)
        w.validated_note(ctx, scope)
        by_project = ui.data.realisation(ctx, "project", scope=scope)
        crowded = int(delivery[["cpi", "spi"]].notna().all(axis=1).sum()) > charts.QUADRANT_POINTS
        density = ui.data.delivery_density(ctx, scope) if crowded else None
        left, right = st.columns(2)
        with left:
            event = w.chart(charts.delivery_quadrant_chart, delivery, ctx.currency, density, key="drill_quadrant",
                            on_select="rerun", caption="Click a project to open it.")
            _follow_click(event, "project", "project_id", "project", set(delivery["project_id"]))
        with right:
            event = w.chart(charts.realisation_chart, by_project, ctx.currency, thresholds, key="drill_realisation",
                            on_select="rerun",
                            caption=f"Realised against planned to date, the {charts.CHART_TOP} projects with the "
                                    "most planned value (the rest summed in Others). Click a bar to open it.")
            _follow_click(event, "group", "group", "project", set(delivery["project_id"]))
        shown = ["project_id", "project_name", "programme", "stage", "bac", "cpi", "spi", "eac", "vac", "rag"]
        w.measures_table(delivery, shown, ctx, key="drill_projects")
        w.csv_download(delivery[[c for c in shown if c in delivery.columns]],
                       f"projects-{ctx.as_of:%Y-%m}.csv", key="drill_projects_csv")
        _uploads(ctx, ui.data.SOURCE_KINDS, delivery["project_id"].tolist() + benefits["benefit_id"].tolist())
        return

    # Project level
    st.subheader(f"Project {w.text(project)} · {w.text(names.get(project, ''))}")
    prow = delivery[delivery["project_id"] == project]
    if not prow.empty:
        _delivery_metrics(prow.iloc[0], ctx.currency)
        _commentary(ctx, project_ids=(project,))
        w.chart(charts.s_curve_chart, ui.data.s_curve(ctx.path, ctx.version, ctx.as_of, project), ctx.as_of,
                ctx.currency, key="drill_scurve")
    sums = ui.data.realisation(ctx, "project", top=None, scope=scope)
    _benefit_metrics(_group_row(sums, project), len(mine), ctx.currency, thresholds)
    returns = ui.data.table(scoped, "returns")
    rrow = returns[returns["project_id"] == project]
    if not rrow.empty:
        r = rrow.iloc[0]
        cols = st.columns(4)
        cols[0].metric("NPV", w.money(r["npv"], ctx.currency),
                       help="Benefits less costs over the project's whole life, discounted from its first month.")
        cols[1].metric("ROI to date", w.pct(r["roi"]),
                       help="(Realised financial benefits − actual cost) ÷ actual cost, to date only.")
        cols[2].metric("Benefit-cost ratio", w.ratio(r["bcr"]), help="Discounted benefits ÷ discounted costs.")
        payback = r["payback_month"]
        ttv = r.get("time_to_value_months")
        cols[3].metric("Payback month", payback.strftime("%b %Y") if hasattr(payback, "strftime") else "—",
                       help="First month from which the cumulative cash flow stays at or above zero."
                            + (f" Time to value: {int(ttv)} months after the end date." if pd.notna(ttv) else ""))
    w.measures_table(mine, ["benefit_id", "benefit_name", "category", "measure", "owner", "planned_to_date",
                            "realised_to_date", "realisation_rate", "forecast_total", "erosion", "erosion_original",
                            "rag",
                            "validated_to_date", "validated_share"], ctx,
                     key="drill_benefits")
    _raid(ctx, project, benefit)
    validation_section(ctx, mine, benefit)
    if benefit is None:
        _uploads(ctx, ui.data.SOURCE_KINDS, [project, *mine["benefit_id"].tolist()])
        return

    # Benefit level
    brow = mine[mine["benefit_id"] == benefit].iloc[0]
    st.subheader(f"Benefit {w.text(benefit)} · {w.text(brow['benefit_name'])}")
    financial = brow["category"] == "financial"
    unit = ctx.currency if financial else (brow.get("unit") if isinstance(brow.get("unit"), str) else "units")
    cols = st.columns(4)
    show = (lambda v: w.money(v, ctx.currency)) if financial else (lambda v: "—" if pd.isna(v) else f"{v:,.2f}")
    cols[0].metric("Planned to date", show(brow["planned_to_date"]))
    cols[1].metric("Realised to date", show(brow["realised_to_date"]))
    cols[2].metric("Realisation rate", w.pct(brow["realisation_rate"], thresholds=thresholds),
                   help=None if brow["measure"] == "flow" else
                   f"(Current − baseline) ÷ (planned − baseline); baseline {show(brow.get('baseline_value'))}.")
    if brow["measure"] == "flow":
        cols[3].metric("Erosion", w.pct(brow["erosion"]),
                       help="(Forecast total − planned total) ÷ planned total. Against the original baseline, "
                            f"before any approved re-baseline: {w.pct(brow.get('erosion_original'))}.")
    else:
        cols[3].metric("Progress to target", w.pct(brow["progress_to_target"]),
                       help=f"(Current − baseline) ÷ (target − baseline); baseline {show(brow.get('baseline_value'))}, "
                            f"target {show(brow.get('target_value'))}.")
    owner = w.text(brow["owner"]) if isinstance(brow["owner"], str) else "— (no owner)"
    st.markdown(f"Benefit RAG: {w.rag_badge(brow['rag'])} · owner: {owner}")
    claimed, validated = brow.get("claimed_to_date"), brow.get("validated_to_date")
    if brow["measure"] == "flow":
        st.caption(f"Validated {show(validated)} of {show(claimed)} claimed to date "
                   f"({w.pct(brow.get('validated_share'))}).")
    else:
        st.caption(f"Latest validated reading to date: {show(validated)}; latest claimed: {show(claimed)}.")
    _commentary(ctx, benefit_ids=(benefit,))
    values = ui.data.benefit_timeline(ctx.path, ctx.version, ctx.as_of, benefit)
    title = (f"Cumulative value ({w.text(unit)})" if brow["measure"] == "flow"
             else f"Reading ({unit})")
    left, right = st.columns(2)
    with left:
        w.chart(charts.value_timeline_chart, values, ctx.as_of, ctx.currency if financial else None,
                title=f"Cumulative value ({unit})" if brow["measure"] == "flow" else title, key="drill_values")
    if brow["measure"] == "flow" and financial:
        with right:
            w.chart(charts.erosion_chart, ui.data.history(ctx, benefit_id=benefit), ctx.currency, key="drill_erosion")
    _uploads(ctx, ("benefits", "benefit_values"), [benefit])


VALIDATION_MESSAGE = "validation_message"  # what the last validation or withdrawal did, shown after the rerun
VALIDATION_COLUMNS = {"validation_id": st.column_config.NumberColumn("Validation", format="%d"),
                      "benefit_id": "Benefit", "from_month": "From", "to_month": "To",
                      "periods": st.column_config.NumberColumn("Months", format="%d"),
                      "amount": st.column_config.NumberColumn("Validated amount", format="%,.2f"),
                      "evidence": st.column_config.TextColumn("Evidence", width="large"),
                      "validated_by": "Validated by", "validated_at": st.column_config.DatetimeColumn("When"),
                      "basis_month": "As of", "status": "Status", "withdrawn_by": "Withdrawn by",
                      "withdrawn_at": st.column_config.DatetimeColumn("Withdrawn"),
                      "withdrawn_reason": "Why withdrawn"}


def validation_section(ctx: ui.Context, mine: pd.DataFrame, benefit: str | None) -> None:
    """Render the validation log of the project's benefits and, for their owners and PMO managers, the form that
    validates realised values with evidence and (PMO managers) withdraws a validation (SPEC §9.3)."""
    st.subheader("Validated realisation")
    message = st.session_state.pop(VALIDATION_MESSAGE, None)
    if message:
        st.success(message, icon=":material/verified:")
    ids = tuple(sorted(mine["benefit_id"]))
    log = ui.data.validations(ctx.path, ctx.version, ids)
    if log.empty:
        st.caption("No realised value of these benefits has been validated yet: every figure is as claimed.")
    else:
        with st.expander(f"Validation log ({len(log)})"):
            st.dataframe(log[list(VALIDATION_COLUMNS)], hide_index=True, column_config=VALIDATION_COLUMNS)
    user = auth.current_user()
    if user is None or not user.can("validate_own"):
        st.caption("Realised values are validated by the benefit's owner or a PMO manager.")
        return
    owners = dict(zip(mine["benefit_id"], mine["owner"], strict=False))
    allowed = [b for b in ids if user.can("validate") or access.owns(user, owners.get(b))]
    if not allowed:
        st.caption("You can validate only benefits whose owner is your e-mail; none of this project's is.")
        return
    with st.container(border=True):
        st.markdown("**Validate realised values**")
        cols = st.columns([2, 1, 1])
        names = dict(zip(mine["benefit_id"], mine["benefit_name"], strict=False))
        chosen = cols[0].selectbox("Benefit", allowed, index=allowed.index(benefit) if benefit in allowed else 0,
                                   format_func=lambda b: f"{b} · {names.get(b, '')}", key="validate_benefit")
        values = ui.data.benefit_values(ctx.path, ctx.version, ctx.as_of, chosen)
        months = sorted({p for p, r in zip(values["period"], values["realised_value"], strict=False)
                         if pd.notna(r) and p <= ctx.as_of})
        if not months:
            st.caption("This benefit has no realised value to date to validate.")
            return
        label = w.month_label
        start = cols[1].selectbox("From month", months, format_func=label, key=f"validate_from_{chosen}")
        end = cols[2].selectbox("To month", months, index=len(months) - 1, format_func=label,
                                key=f"validate_to_{chosen}")
        evidence = st.text_area("Evidence", key="validate_evidence", max_chars=2000,
                                placeholder="What shows these values are real: a finance ledger reference, an "
                                            "audit note, a link to the report")
        typed = (st.text_input("Your name", key="validate_user", placeholder=user.name) if user.local else "")
        if st.button("Validate", key="validate_go", type="primary"):
            done, result = auth.attempt(lambda: actions.validate_benefit(ui.get_store(), user, chosen, start, end,
                                                                         evidence, typed), invalid="Not validated")
            if done:
                ui.clear_caches()
                st.session_state[VALIDATION_MESSAGE] = (f"Validated {result['periods']} month(s) of "
                                                        f"{w.text(chosen)}, as they stood in "
                                                        f"{label(result['basis_month'])}.")
                st.rerun()
    standing = log[log["status"] == "standing"] if not log.empty else log
    if user.can("withdraw_validation") and not standing.empty:
        with st.expander("Withdraw a validation"):
            pick = st.selectbox("Validation", standing["validation_id"].tolist(), key="withdraw_choice",
                                format_func=lambda i: _validation_label(standing, i))
            reason = st.text_input("Why", key="withdraw_reason")
            if st.button("Withdraw", key="withdraw_go"):
                done, _ = auth.attempt(lambda: actions.withdraw_validation(ui.get_store(), user, int(pick), reason),
                                       invalid="Not withdrawn")
                if done:
                    ui.clear_caches()
                    st.session_state[VALIDATION_MESSAGE] = (f"Validation {int(pick)} withdrawn: its months "
                                                            "count as claimed again.")
                    st.rerun()


def _validation_label(log: pd.DataFrame, validation_id) -> str:
    row = log[log["validation_id"] == validation_id].iloc[0]
    return f"{validation_id} · {row['benefit_id']} · {row['from_month']} to {row['to_month']}"


ui.guarded(body)
