"""Sign-in for the dashboard: who the user is, the sign-in page, the sidebar badge, and how a refused write shows.

With an `[auth]` section in .streamlit/secrets.toml, users sign in with OpenID Connect (`st.login`)
and `[pmo_metrics.roles]` maps their e-mail, domain or groups to a role. Without it the app runs
in local mode: one user, the OS account, with every right, and every page says so.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import streamlit as st
from streamlit import config as st_config

from .. import access
from ..access import AccessDenied, RoleMapError, User
from ..display import escape_markdown
from ..store import Store, StoreBusy, StoreError

LOCAL_BADGE = "Local mode — no sign-in; everyone using this address has full rights"

T = TypeVar("T")



def _secrets() -> dict:
    """Return secrets.toml as a plain dict ({} when there is none)."""
    # load_if_toml_exists never raises; reading st.secrets without a file would.
    return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}


def config_problem() -> str | None:
    """Return why sign-in cannot be set up (an unreadable secrets.toml, a bad role mapping), else None."""
    if not st.secrets.load_if_toml_exists():
        paths = [p for p in st_config.get_option("secrets.files") if Path(os.path.expanduser(p)).exists()]
        if paths:
            # Falling back to local mode here would hand every visitor full rights because of a typo.
            return (f"{Path(paths[0]).name} exists but cannot be read, so sign-in cannot be set up and the app "
                    "will not open. Fix the file (see the server log) and reload.")
        return None
    if not auth_section():
        return None
    try:
        role_map()
    except RoleMapError as problem:
        return f"The role mapping in secrets.toml is wrong, so nobody can be given a role: {problem}"
    return None


def auth_section() -> dict:
    """Return the `[auth]` section of secrets.toml ({} in local mode)."""
    section = _secrets().get("auth")
    return dict(section) if isinstance(section, Mapping) else {}


def is_local_mode() -> bool:
    """Return True when no `[auth]` section is configured (single user, full rights)."""
    return not auth_section()


def role_map() -> access.RoleMap:
    """Return the role mapping from `[pmo_metrics.roles]` in secrets.toml (raises RoleMapError)."""
    section = _secrets().get("pmo_metrics") or {}
    return access.parse_role_map(section.get("roles") if isinstance(section, Mapping) else None)


def providers() -> list[str]:
    """Return the named providers of `[auth]` ([auth.google] → 'google'); [] when it configures one directly."""
    # A provider section holds a client_id; other tables of [auth] (client_kwargs) are options.
    return [name for name, value in auth_section().items() if isinstance(value, Mapping) and "client_id" in value]


def current_user() -> User | None:
    """Return who is using this session: the local user, a signed-in user (role None when unmapped), or None."""
    if is_local_mode():
        return access.local_user()
    if not st.user.get("is_logged_in"):
        return None
    try:
        mapping = role_map()
    except RoleMapError:
        mapping = access.RoleMap()  # a broken mapping gives nobody a role (config_problem says why)
    return access.user_from_claims(st.user.to_dict(), mapping)


# -- pages and sidebar ------------------------------------------------------------------------


def _only_page(body: Callable[[], None], title: str) -> None:
    # Always call st.navigation, even for the sign-in screen: without it Streamlit lists the
    # app's scripts in the sidebar itself, and they would run without the router.
    st.navigation([st.Page(body, title=title, icon=":material/lock:")], position="hidden").run()
    st.stop()


def _sign_in_page() -> None:
    st.title("PMO value dashboard")
    st.write("Sign in with your organisation account to see the dashboard.")
    names = providers()
    if not names and st.button("Sign in", type="primary", icon=":material/login:"):
        st.login()  # [auth] configures a single provider directly
    for name in names:
        if st.button(f"Sign in with {name.title()}", key=f"login_{name}", type="primary", icon=":material/login:"):
            st.login(name)


def _no_role_page() -> None:
    user = current_user()
    name = escape_markdown(user.name if user else "unknown")
    st.title("No access yet")
    st.warning(f"You are signed in as {name}, but no role has been given to "
               "this account. Ask your PMO administrator to add you to the dashboard's role list.",
               icon=":material/block:")
    if st.button("Sign out", icon=":material/logout:"):
        st.logout()


def _setup_problem_page() -> None:
    st.title("Sign-in is not set up correctly")
    st.error(config_problem() or "Reload the page.", icon=":material/error:")


def gate() -> User:
    """Return the user when they may see the dashboard; otherwise show sign-in (or why not) and stop the run."""
    if config_problem():
        _only_page(_setup_problem_page, "Sign-in problem")
    user = current_user()
    if user is None:
        _only_page(_sign_in_page, "Sign in")
    if not user.can("view"):
        _only_page(_no_role_page, "No access")
    return user


def sidebar(user: User) -> None:
    """Render who is signed in (and sign-out), or the local-mode badge, at the foot of the sidebar."""
    if user.local:
        st.sidebar.caption(f":material/lock_open: {LOCAL_BADGE}")
        return
    st.sidebar.caption(f":material/account_circle: Signed in as {escape_markdown(user.name)} · **{user.role_label}**")
    if st.sidebar.button("Sign out", icon=":material/logout:", key="sign_out"):
        st.logout()


# A file held this long by another program is taken to be a load under way; a shorter hold (a
# command reading the store, which lets go after 2 s idle) is simply waited for.
HELD_ELSEWHERE_AFTER_SECONDS = 3.0


def store_ready(store: Store, read_before: bool = False) -> bool | None:
    """Return True when the database opens; otherwise say why (busy, read-only, damaged) and return False.

    The router asks before drawing any page, so a database another program holds shows "busy, try
    again" — never an empty dashboard saying there is no data yet. When this process has read the
    database before (`read_before`), a file another program holds for longer than
    HELD_ELSEWHERE_AFTER_SECONDS returns None instead: the router then draws the pages from what it
    read before, saying so.
    """
    if read_before:
        try:
            with store.connect(wait=HELD_ELSEWHERE_AFTER_SECONDS):
                return True
        except StoreBusy:
            return None
        except StoreError:
            pass  # said below, as on a first read
    try:
        with st.spinner("Opening the database…", show_time=True), store.connect():
            return True
    except StoreBusy as problem:
        st.warning(str(problem)[:1].upper() + str(problem)[1:], icon=":material/hourglass_top:")
    except StoreError as problem:
        st.error(str(problem)[:1].upper() + str(problem)[1:], icon=":material/error:")
    return False


def refused(problem: AccessDenied) -> None:
    """Show a refused action as an error message."""
    st.error(str(problem), icon=":material/block:")


def attempt(action: Callable[[], T], invalid: str | None = None) -> tuple[bool, T | None]:
    """Run a guarded write; return (done, its result), showing why when it is not done.

    Refused by role, store busy or unusable, and (when `invalid` names the prefix) a value the
    store rejected are all shown as messages; every page's write (a `pmo_metrics.actions` call) goes
    through here.
    """
    try:
        return True, action()
    except AccessDenied as problem:
        refused(problem)
    except (StoreBusy, StoreError) as problem:
        st.error(str(problem), icon=":material/error:")
    except ValueError as problem:
        if invalid is None:
            raise
        st.error(f"{invalid}: {problem}", icon=":material/error:")
    return False, None
