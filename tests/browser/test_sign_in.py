"""Sign-in as shipped: `streamlit run app.py` with an [auth] section, a real OpenID Connect provider.

A local provider (oidc-provider-mock, on 127.0.0.1) stands in for Entra ID or Google; chromium
goes through the whole code flow (the app's Sign in button, the provider's page, the callback)
as a viewer, a submitter, a PMO manager and an admin, and each sees the pages and buttons their
role allows (docs/access.md) and no others.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pmo_metrics.ingest import load_sample
from pmo_metrics.store import Store
from tests.browser.serve import free_port, start_app, stop
from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, _settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USERS = {"viewer": "vic@example.com", "submitter": "sue@example.com", "pmo_manager": "pat@example.com",
         "admin": "ana@example.com"}
ALWAYS = ["Executive overview", "1 · Delivery", "2 · KPIs", "3 · Performance", "4 · Competitive advantage",
          "Drill-down", "Scorecards"]
ROLE_LABELS = {"viewer": "Viewer", "submitter": "Submitter", "pmo_manager": "PMO manager", "admin": "Admin"}


@pytest.fixture(scope="module")
def provider():
    """Run an OpenID Connect provider on 127.0.0.1 that knows the four users."""
    import oidc_provider_mock
    import werkzeug.serving

    users = [oidc_provider_mock.User(sub=email, claims={"email": email, "email_verified": True, "name": role})
             for role, email in USERS.items()]
    app = oidc_provider_mock.app(require_client_registration=False, user_claims=users)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def app_url(provider, tmp_path_factory):
    """Start the app as `make run` does, with an [auth] section pointing at the local provider."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium, or `make chromium`)")
    folder = tmp_path_factory.mktemp("signin")
    db = folder / "pmo.duckdb"
    load_sample(Store(db))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secrets = folder / "secrets.toml"
    secrets.write_text(f"""
[auth]
redirect_uri = "{url}/oauth2callback"
cookie_secret = "a test secret that is long enough to sign cookies"
client_id = "pmo-dashboard"
client_secret = "not a secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
client_kwargs = {{ scope = "openid profile email" }}

[pmo_metrics.roles]
default = "none"
admin = ["{USERS['admin']}"]
pmo_manager = ["{USERS['pmo_manager']}"]
submitter = ["{USERS['submitter']}"]
viewer = ["{USERS['viewer']}"]
""")
    process, _ = start_app(db, folder / "streamlit.log", "--secrets.files", str(secrets), port=port)
    yield url
    stop(process)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _nav_titles(tab) -> list[str]:
    links = tab.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]')
    return [text.strip().splitlines()[-1] for text in links.all_inner_texts()]  # after the icon's name


def _sign_in(tab, url: str, email: str) -> None:
    tab.goto(url)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/oauth2/authorize**")  # the provider's own page
    tab.get_by_role("button", name=email).click()
    tab.wait_for_url(f"{url}/**")
    tab.get_by_text(f"Signed in as {email}").wait_for(timeout=30_000)
    _settle(tab)


def _open(tab, title: str) -> None:
    tab.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    _settle(tab)


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_signs_in_and_sees_only_its_pages_and_buttons(app_url, browser, role):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        tab.goto(app_url)
        tab.get_by_role("button", name="Sign in").wait_for()
        assert not tab.locator('[data-testid="stSidebarNav"]').count()  # nothing shown before sign-in
        _sign_in(tab, app_url, USERS[role])
        assert tab.get_by_text(ROLE_LABELS[role], exact=True).count() >= 1
        titles = _nav_titles(tab)
        expected = set(ALWAYS)
        if role != "viewer":
            expected.add("Upload")
        if role == "admin":
            expected.add("Settings")
        assert set(titles) == expected, titles

        _open(tab, "Scorecards")
        tab.get_by_role("heading", name="KPIs this month").wait_for()  # the page has run to its end
        builds = tab.get_by_role("button", name="Build").count()
        refusal = tab.get_by_text("Exporting the scorecard (Excel, PDF board pack, CSV) is for PMO managers").count()
        if role in ("pmo_manager", "admin"):
            assert builds == 3 and not refusal, builds
        else:
            assert builds == 0 and refusal, builds

        if role != "viewer":
            _open(tab, "Upload")
            tab.get_by_text("Monthly workbooks or CSV files").wait_for()
            voids = tab.get_by_role("button", name="Void…").count()
            assert (voids > 0) == (role in ("pmo_manager", "admin")), voids
        else:
            tab.goto(f"{app_url}/upload")  # not listed, and not reachable by its address either
            _settle(tab)
            assert not tab.get_by_text("Monthly workbooks or CSV files").count()
            tab.goto(app_url)  # away from Streamlit's "page not found" dialog
            _settle(tab)

        tab.get_by_role("button", name="Sign out").click()
        tab.wait_for_url("**/oauth2/end_session**")  # the provider is told too
        tab.goto(app_url)
        tab.get_by_role("button", name="Sign in").wait_for()  # the app's own session is gone
    finally:
        context.close()
