"""Router: page config, navigation, the shared filters, and the first-start sample load.

Run with `streamlit run app.py`. On a brand-new database the bundled sample is loaded first, so
a fresh clone opens on real-looking numbers; set PMO_METRICS_NO_SAMPLE=1 to start empty
(the app tests do). PMO_METRICS_DB chooses the database file (default data/pmo.duckdb).
With an [auth] section in .streamlit/secrets.toml users sign in and see the pages their role
allows (docs/access.md); without it the app runs in local mode with full rights and says so.

The page scripts live in views/, not pages/: with a pages/ folder next to this file, Streamlit
starts in its older folder-based mode, and a link straight to a page (/delivery) opened first
after a restart ran that script alone — no router, no filters, "no data yet".
"""

import contextlib

import streamlit as st

from pmo_metrics import ui
from pmo_metrics.ui import auth

st.set_page_config(page_title="PMO value dashboard", page_icon=ui.widgets.app_icon(), layout="wide")
user = auth.gate()  # shows sign-in (or why not) and stops when nobody may look

# Pages a role may not use are left out, so they are neither listed nor reachable by URL.
DATA = []
if user.can("upload"):
    DATA.append(st.Page("views/upload.py", title="Upload", icon=":material/upload_file:"))
if user.can("settings"):
    DATA.append(st.Page("views/settings.py", title="Settings", icon=":material/settings:"))

PAGES = {
    "Overview": [
        st.Page("views/overview.py", title="Executive overview", icon=":material/dashboard:", default=True),
    ],
    "Value levels": [
        st.Page("views/delivery.py", title="1 · Delivery", icon=":material/engineering:"),
        st.Page("views/kpis.py", title="2 · KPIs", icon=":material/speed:"),
        st.Page("views/performance.py", title="3 · Performance", icon=":material/trending_up:"),
        st.Page("views/advantage.py", title="4 · Competitive advantage", icon=":material/emoji_events:"),
        st.Page("views/drilldown.py", title="Drill-down", icon=":material/account_tree:"),
    ],
    **({"Data": DATA} if DATA else {}),
    "Reports": [
        st.Page("views/scorecards.py", title="Scorecards", icon=":material/summarize:"),
    ],
}

page = st.navigation(PAGES)


def _frame(held_elsewhere: bool) -> None:
    if not held_elsewhere:
        ui.data.ensure_sample(ui.get_store())
    # The filters are drawn by the router on every run, so they keep their values across pages.
    st.session_state[ui.state.CONTEXT] = ui.sidebar_filters()
    if held_elsewhere:
        st.info(HELD_ELSEWHERE, icon=":material/hourglass_top:")
    ui.widgets.reporting_notice(st.session_state[ui.state.CONTEXT])


HELD_ELSEWHERE = ("A load is running in another program. The figures are those stored before it began; "
                  "they are brought up to date once it ends (open the page again then).")
BUSY_NOW = ("This needs the database, which a load running in another program holds until it ends; "
            "try again then.")

store = ui.get_store()
ready = auth.store_ready(store, read_before=ui.data.version_read_before(store) is not None)
if ready is False:  # busy or unusable: say so, not "no data yet"
    auth.sidebar(user)
    st.stop()
# While another program holds the file (ready is None), the pages are drawn from what was read before
# it took it, and nothing is read now, so that no page mixes figures from before and after the load.
held = ready is None
st.session_state[ui.state.READ_VERSION] = (ui.data.version_read_before(store) if held
                                           else ui.data.note_version_read(store))
with store.refusing_reads(BUSY_NOW) if held else contextlib.nullcontext():
    ui.guarded(lambda: _frame(held))
    auth.sidebar(user)
    page.run()
