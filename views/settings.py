"""Settings (admins only): the stored settings of SPEC §4 and a form to change one, validated by the store."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pmo_metrics import access, actions, ui
from pmo_metrics.settings import Settings
from pmo_metrics.ui import auth

DESCRIPTIONS = {
    "currency": "Reporting currency (ISO code); the default for projects that give none",
    "fiscal_year_start_month": "First month of the fiscal year (1 = January, 4 = UK April); sets quarters and years",
    "discount_rate": "Annual discount rate for NPV and the benefit–cost ratio (0.035 = 3.5 %)",
    "delivery_green": "Delivery RAG: green when min(CPI, SPI) is at least this",
    "delivery_amber": "Delivery RAG: amber when min(CPI, SPI) is at least this",
    "kpi_green": "KPI RAG: green when attainment is at least this",
    "kpi_amber": "KPI RAG: amber when attainment is at least this",
    "benefit_green": "Benefit RAG: green when the realisation rate is at least this",
    "benefit_amber": "Benefit RAG: amber when the realisation rate is at least this",
    "sustained_window_months": "Sustained value: months after a project's end that must meet the threshold",
    "sustained_threshold": "Sustained value: realised ÷ planned needed in each of those months",
    "max_upload_mb": "Largest file accepted by an upload (MB)",
}
SAVED = "settings_saved"


def _table(current: Settings) -> pd.DataFrame:
    defaults = Settings().as_dict()
    return pd.DataFrame([{"setting": key, "value": str(value), "default": str(defaults[key]),
                          "meaning": DESCRIPTIONS.get(key, "")} for key, value in current.as_dict().items()])


def body() -> None:
    """Render the settings page."""
    store = ui.get_store()
    user = auth.current_user()
    st.title("Settings")
    st.caption("Stored with the data, so the command line and every dashboard user see the same values.")
    # The router hides this page from everyone but admins; this covers the script run some other way.
    if not auth.attempt(lambda: access.require(user, "settings"))[0]:
        return
    saved = st.session_state.pop(SAVED, None)
    if saved:
        st.success(saved, icon=":material/check_circle:")
    current = store.settings()
    st.dataframe(_table(current), hide_index=True, key="settings_table",
                 column_config={"meaning": st.column_config.TextColumn("Meaning", width="large")})
    st.subheader("Change a setting")
    values = current.as_dict()
    key = st.selectbox("Setting", list(values), key="setting_key",
                       format_func=lambda k: f"{k} — {DESCRIPTIONS.get(k, '')}")
    # Keyed per setting, so switching the choice shows that setting's stored value.
    text = st.text_input("New value", value=str(values[key]), key=f"setting_value_{key}")
    if st.button("Save", type="primary", icon=":material/save:", key="setting_save"):
        done, value = auth.attempt(lambda: actions.change_setting(store, user, key, text), invalid="Not saved")
        if not done:
            return
        ui.clear_caches()  # every measure and label reads the settings, so forget cached figures
        st.session_state[SAVED] = f"Saved {key} = {value}. Every page now uses it."
        st.rerun()


ui.guarded(body)
