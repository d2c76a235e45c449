"""Access by role: local mode, sign-in, what each role sees, and writes refused server-side.

OpenID Connect is simulated without an identity provider: `at.secrets` holds an `[auth]` section
and the role mapping (our code reads st.secrets, which AppTest replaces), and `at.user` is the
identity token's claims that `st.user` returns (AppTest in Streamlit 1.67 seeds it per run).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pmo_metrics import access, actions
from pmo_metrics import upload_report as logic
from pmo_metrics.access import AccessDenied, User
from pmo_metrics.display import escape_markdown
from pmo_metrics.measures import Scope
from pmo_metrics.ui import auth
from tests.app.conftest import APP, TIMEOUT, assert_clean, open_app
from tests.factories import make_workbook

ROOT = Path(APP).parent
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "not-a-real-secret",
        "google": {"client_id": "id", "client_secret": "secret",
                   "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration"}}
ROLES = {"admin": ["ada@example.com"], "pmo_manager": ["PMO Office"], "submitter": ["@programmes.example.com"],
         "viewer": ["@example.com"]}
VIEWER, SUBMITTER, MANAGER, ADMIN = ("vic@example.com", "sue@programmes.example.com", "max@example.com",
                                     "ada@example.com")
GROUPS = {MANAGER: ["PMO Office"]}
DASHBOARD = ["views/overview.py", "views/delivery.py", "views/kpis.py", "views/performance.py",
             "views/advantage.py", "views/drilldown.py", "views/scorecards.py"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def signed_in(email: str | None, page: str | None = None, roles: dict | None = None) -> AppTest:
    """Return an AppTest of the router with OIDC configured, signed in as `email` (None: signed out)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.secrets["pmo_metrics"] = {"roles": ROLES if roles is None else roles}
    at.user = ({"is_logged_in": True, "email": email, "email_verified": True, "groups": GROUPS.get(email, [])}
               if email else {"is_logged_in": False})
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def reachable(at: AppTest, page: str) -> bool:
    """Return True when `page` is in this session's navigation (AppTest refuses to switch to others)."""
    try:
        at.switch_page(page)
    except ValueError as problem:
        assert "Could not find a navigation page" in str(problem)
        return False
    return True


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def count(store, sql: str, params=None) -> int:
    return int(store.query(sql, params)[0][0].as_py())


# -- local mode -------------------------------------------------------------------------------


def test_local_mode_says_so_on_every_page_and_offers_everything(sample_store):
    at = open_app()
    for page in [*DASHBOARD, "views/upload.py", "views/settings.py"]:
        at.switch_page(page).run()
        assert_clean(at)
        assert any(auth.LOCAL_BADGE in c for c in captions(at)), page
    assert not [b for b in at.sidebar.button if b.label == "Sign out"]


def test_local_mode_records_the_os_user_in_the_audit_log(sample_store, monkeypatch):
    monkeypatch.setattr(access.getpass, "getuser", lambda: "pat")
    at = open_app("views/upload.py")
    at.file_uploader[0].set_value([("2026-10 Local.xlsx", make_workbook(), XLSX)]).run()
    [b for b in at.button if b.label == "Check"][0].click().run()
    [b for b in at.button if b.label == "Load"][0].click().run()
    assert_clean(at)
    assert sample_store.query("SELECT user_name FROM uploads ORDER BY upload_id DESC LIMIT 1")[0][0].as_py() == "pat"


# -- signing in -------------------------------------------------------------------------------


def test_signed_out_sees_only_the_sign_in_page(sample_store):
    at = signed_in(None)
    assert_clean(at)
    assert [b.label for b in at.button] == ["Sign in with Google"]
    assert not at.sidebar.selectbox and not at.dataframe  # no filters, no figures
    assert not reachable(at, "views/overview.py")


def test_an_auth_section_with_one_provider_offers_one_sign_in_button(sample_store):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": "x", "client_id": "id",
                          "client_secret": "s", "server_metadata_url": "https://idp.example.com/.well-known",
                          "client_kwargs": {"scope": "openid email"}}  # a table, but options, not a provider
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]


def test_an_unreadable_secrets_file_stops_the_app_instead_of_opening_it_to_all(sample_store, tmp_path):
    from streamlit.testing.v1.util import patch_config_options

    bad = tmp_path / "secrets.toml"
    bad.write_text("[auth\nredirect_uri = ", encoding="utf-8")
    with patch_config_options({"secrets.files": [str(bad)]}):
        at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert any("secrets.toml exists but cannot be read" in e.value for e in at.error)
    assert not at.dataframe and not at.sidebar.selectbox
    assert not any(auth.LOCAL_BADGE in c for c in captions(at))


def test_a_user_no_rule_names_is_refused(sample_store):
    at = signed_in("eve@elsewhere.org")
    assert_clean(at)
    assert any("no role has been given" in w.value for w in at.warning)
    assert "Sign out" in [b.label for b in at.button]
    assert not at.dataframe


def test_a_broken_mapping_lets_nobody_in(sample_store):
    at = signed_in(ADMIN, roles={"admins": ["ada@example.com"]})
    assert any("role mapping in secrets.toml is wrong" in e.value and "'admins'" in e.value for e in at.error)
    assert not at.dataframe and not at.sidebar.selectbox


# -- what each role sees ----------------------------------------------------------------------


def test_a_viewer_sees_every_dashboard_page_but_no_upload_void_export_or_settings(sample_store):
    at = signed_in(VIEWER)
    assert any(f"Signed in as {escape_markdown(VIEWER)} · **Viewer**" in c for c in captions(at))
    assert not any(auth.LOCAL_BADGE in c for c in captions(at))
    for page in DASHBOARD:
        assert reachable(at, page), page
        at.run()
        assert_clean(at)
    assert not reachable(at, "views/upload.py")
    assert not reachable(at, "views/settings.py")
    at.switch_page("views/scorecards.py").run()
    assert not [b for b in at.button if b.label.startswith("Build")]
    assert not at.get("download_button")
    assert any("for PMO managers and admins" in c.value for c in at.caption)


def test_a_viewer_on_an_empty_database_is_not_sent_to_upload(empty_store):
    at = signed_in(VIEWER)
    assert_clean(at)
    assert any("Ask your PMO" in i.value for i in at.info)


def test_a_submitter_can_load_but_not_void_or_export(sample_store):
    at = signed_in(SUBMITTER, "views/upload.py")
    assert_clean(at)
    assert not [b for b in at.button if b.label == "Void…"]
    assert any("Voiding an upload is for PMO managers" in c.value for c in at.caption)
    assert not [t for t in at.text_input if t.label.startswith("Your name")]  # the e-mail is recorded instead
    at.file_uploader[0].set_value([("2026-10 Sue.xlsx", make_workbook(), XLSX)]).run()
    [b for b in at.button if b.label == "Check"][0].click().run()
    [b for b in at.button if b.label == "Load"][0].click().run()
    assert_clean(at)
    newest = sample_store.query("SELECT user_name, status FROM uploads ORDER BY upload_id DESC LIMIT 1").to_pylist()
    assert newest == [{"user_name": SUBMITTER, "status": "loaded"}]
    assert not reachable(at, "views/settings.py")
    at.switch_page("views/scorecards.py").run()
    assert not [b for b in at.button if b.label.startswith("Build")]


def test_a_pmo_manager_can_void_and_export(sample_store):
    at = signed_in(MANAGER, "views/upload.py")
    assert any("PMO manager" in c for c in captions(at))  # the role comes from the group
    newest = int([b for b in at.selectbox if b.label == "Upload to void"][0].value)
    [b for b in at.button if b.label == "Void…"][0].click().run()
    [b for b in at.button if b.label == "Void upload"][0].click().run()
    assert_clean(at)
    row = sample_store.query("SELECT status, voided_by FROM uploads WHERE upload_id = ?", [newest]).to_pylist()
    assert row == [{"status": "voided", "voided_by": MANAGER}]
    assert not reachable(at, "views/settings.py")
    at.switch_page("views/scorecards.py").run()
    at.button(key="build_csv").click().run()
    assert_clean(at)
    assert "Download CSV" in [b.label for b in at.get("download_button")]


def test_an_admin_changes_a_setting_and_a_bad_value_is_refused(sample_store):
    at = signed_in(ADMIN, "views/settings.py")
    assert_clean(at)
    assert at.selectbox(key="setting_key").value == "currency"
    at.text_input(key="setting_value_currency").set_value("eur").run()
    at.button(key="setting_save").click().run()
    assert_clean(at)
    assert sample_store.settings().currency == "EUR"
    assert any("Saved currency = EUR" in s.value for s in at.success)
    at.switch_page("views/overview.py").run()
    assert_clean(at)
    at.switch_page("views/settings.py").run()
    at.selectbox(key="setting_key").set_value("fiscal_year_start_month").run()
    at.text_input(key="setting_value_fiscal_year_start_month").set_value("13").run()
    at.button(key="setting_save").click().run()
    assert any("Not saved" in e.value and "1-12" in e.value for e in at.error)
    assert sample_store.settings().fiscal_year_start_month == 1


# -- writes are checked server-side, not only hidden ------------------------------------------


def test_every_write_refuses_a_viewer_and_changes_nothing(sample_store):
    viewer = User(VIEWER, "viewer")
    uploads, settings = count(sample_store, "SELECT count(*) FROM uploads"), sample_store.settings()
    statuses = sample_store.query("SELECT upload_id, status FROM uploads ORDER BY 1").to_pylist()
    newest = statuses[-1]["upload_id"]
    attempts = {
        "load": lambda: logic.run_load(sample_store, [("2026-10 x.xlsx", make_workbook())], "2026-10", user=viewer),
        "void": lambda: actions.void(sample_store, viewer, newest),
        "export": lambda: actions.export_scorecard(sample_store, viewer, sample_store.reporting_months()[0],
                                                Scope(), "csv"),
        "settings": lambda: actions.change_setting(sample_store, viewer, "currency", "EUR"),
    }
    for action, attempt in attempts.items():
        with pytest.raises(AccessDenied, match=r"Only a .* can .*signed in as vic@example.com \(Viewer\)"):
            attempt()
        assert count(sample_store, "SELECT count(*) FROM uploads") == uploads, action
    assert sample_store.query("SELECT upload_id, status FROM uploads ORDER BY 1").to_pylist() == statuses
    assert sample_store.settings() == settings


@pytest.mark.parametrize("user", [None, User("eve@elsewhere.org", None)])
def test_nobody_and_an_unmapped_user_are_refused_too(sample_store, user):
    with pytest.raises(AccessDenied):
        actions.void(sample_store, user, 1)
    assert count(sample_store, "SELECT count(*) FROM uploads WHERE status = 'voided'") == 0


def test_a_submitter_is_refused_void_and_export_by_the_functions(sample_store):
    sue = User(SUBMITTER, "submitter")
    with pytest.raises(AccessDenied, match="PMO manager or Admin can void"):
        actions.void(sample_store, sue, 1)
    with pytest.raises(AccessDenied, match="Admin can change settings"):
        actions.change_setting(sample_store, User(MANAGER, "pmo_manager"), "currency", "EUR")


@pytest.mark.parametrize("page, words", [("views/upload.py", "can check and load uploads"),
                                         ("views/settings.py", "can change settings")])
def test_a_page_script_run_without_the_router_still_refuses_a_viewer(sample_store, page, words):
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.secrets["pmo_metrics"] = {"roles": ROLES}
    at.user = {"is_logged_in": True, "email": VIEWER}
    at.run()
    assert any(words in e.value for e in at.error)
    assert not at.file_uploader and not at.text_input
