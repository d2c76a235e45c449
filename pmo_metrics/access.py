"""Who may do what: roles, the actions they allow, the e-mail/domain/group → role mapping, `require`.

Pure logic (no Streamlit): the dashboard's sign-in code (pmo_metrics/ui/auth.py) builds a `User`
from the identity token's claims with `user_from_claims`, and every write the dashboard makes
calls `require(user, action)` right before it. See docs/access.md.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Ordered from least to most: each role may do everything the roles before it may.
# benefit_owner (SPEC §9.3): sees what a viewer sees and validates the realised values of the
# benefits whose `owner` is their e-mail; a PMO manager validates any benefit.
ROLES = ("viewer", "benefit_owner", "submitter", "pmo_manager", "admin")
RANK = {role: rank for rank, role in enumerate(ROLES)}
ROLE_LABELS = {"viewer": "Viewer", "submitter": "Submitter", "pmo_manager": "PMO manager", "admin": "Admin",
               "benefit_owner": "Benefit owner"}

# Each action names the least role that may do it.
ACTIONS = {"view": "viewer", "upload": "submitter", "void": "pmo_manager", "close_month": "pmo_manager",
           "export": "pmo_manager", "settings": "admin",
           "validate_own": "benefit_owner", "validate": "pmo_manager", "withdraw_validation": "pmo_manager",
           "rebaseline": "pmo_manager"}
ACTION_TEXT = {"view": "see the dashboard", "upload": "check and load uploads", "void": "void uploads",
               "close_month": "close reporting months", "export": "export scorecards",
               "settings": "change settings", "validate_own": "validate the benefits they own",
               "validate": "validate any benefit's realised values",
               "withdraw_validation": "withdraw validations",
               "rebaseline": "re-baseline plans (declare, approve or reject)"}

NO_ROLE = "none"  # `default = "none"` in the mapping: a signed-in user no rule names is refused
MAPPING_KEYS = {"default", "groups_claim", *ROLES}


class AccessDenied(PermissionError):
    """The user's role does not allow the action (the message is user-facing)."""


class RoleMapError(ValueError):
    """The role mapping in secrets.toml cannot be read (the message says which entry and why)."""


@dataclass(frozen=True)
class User:
    """Someone using the dashboard: an e-mail (or the OS user in local mode) and a role (None: no access)."""

    name: str
    role: str | None
    local: bool = False
    groups: tuple[str, ...] = ()

    def can(self, action: str) -> bool:
        """Return True when this user's role allows `action`."""
        return can(self.role, action)

    @property
    def role_label(self) -> str:
        """Return the role in words ('PMO manager'; 'no role')."""
        return ROLE_LABELS.get(self.role, "no role")

    def audit_name(self, typed: str = "") -> str:
        """Return the name the audit log records: the signed-in e-mail, or in local mode the typed name or OS user."""
        # A signed-in user's name comes from the identity provider; a typed name would let anyone
        # record someone else. Local mode has no identity, so a typed name is as good as any.
        if self.local and typed.strip():
            return typed.strip()
        return self.name


def os_user_name() -> str:
    """Return the operating-system user running the app ('local user' when it cannot be told)."""
    try:
        return getpass.getuser() or "local user"
    except (KeyError, OSError):  # no passwd entry, e.g. an arbitrary uid in a container
        return "local user"


def local_user() -> User:
    """Return the single user of local mode (no [auth] configured): the OS user, with every right."""
    return User(os_user_name(), "admin", local=True)


ROLE_ENV = "PMO_METRICS_ROLE"  # the command line's role; unset: the local full-rights role


def cli_user(environ: Mapping[str, str] | None = None) -> User:
    """Return the command line's user: the OS user, with the role $PMO_METRICS_ROLE names (default admin).

    The command line has no sign-in: whoever can run it can open the database file anyway, so by
    default it has every right, as local mode does. A shared server can narrow it by setting the
    variable (e.g. to "submitter" for a scheduled load job); an unknown role is refused.
    """
    text = (os.environ if environ is None else environ).get(ROLE_ENV, "").strip()
    if not text:
        return local_user()
    role = text.lower().replace(" ", "_")
    if role not in RANK:
        raise ValueError(f"{ROLE_ENV}={text!r} is not a role; expected one of {', '.join(ROLES)}")
    return User(os_user_name(), role, local=True)


def can(role: str | None, action: str) -> bool:
    """Return True when `role` allows `action` (an unknown action is never allowed)."""
    needed = ACTIONS.get(action)
    return role in RANK and needed is not None and RANK[role] >= RANK[needed]


def require(user: User | str | None, action: str) -> None:
    """Return when `user` (a User, a role name, or None for nobody) may do `action`; raise AccessDenied otherwise."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    role = user.role if isinstance(user, User) else user
    if can(role, action):
        return
    allowed = [ROLE_LABELS[r] for r in ROLES if can(r, action)]
    who = " or ".join(allowed[-2:]) if len(allowed) <= 2 else ", ".join(allowed[:-1]) + " or " + allowed[-1]
    if user is None:
        message = f"Sign in first: only a signed-in {who} can {ACTION_TEXT[action]}."
    else:
        name = f"{user.name} ({user.role_label})" if isinstance(user, User) else ROLE_LABELS.get(role, "no role")
        message = f"Only a {who} can {ACTION_TEXT[action]}; you are signed in as {name}. Nothing was changed."
    raise AccessDenied(message)


def owns(user: User | None, owner: str | None) -> bool:
    """Return True when `user` is the benefit's owner: their e-mail (name) is its `owner`, ignoring case."""
    return (user is not None and bool(owner) and bool(user.name)
            and user.name.strip().casefold() == str(owner).strip().casefold())


def require_validation(user: User | None, benefit_id: str, owner: str | None) -> None:
    """Return when `user` may validate benefit `benefit_id` whose owner is `owner` (SPEC §9.3); raise AccessDenied.

    A PMO manager (or above) validates any benefit; a benefit owner (or a submitter) only the benefits
    whose owner is their e-mail. A viewer never does, even when named as an owner: viewing is all
    that role is given.
    """
    require(user, "validate_own")
    if can(user.role if isinstance(user, User) else user, "validate") or (isinstance(user, User) and owns(user, owner)):
        return
    named = f"its owner ({owner})" if owner else "its owner (it has none)"
    raise AccessDenied(f"Only {named} or a PMO manager can validate benefit {benefit_id}; you are signed in as "
                       f"{user.name if isinstance(user, User) else user} "
                       f"({user.role_label if isinstance(user, User) else ROLE_LABELS.get(user, 'no role')}). "
                       "Nothing was changed.")


# -- the mapping ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleMap:
    """E-mails, e-mail domains and group names mapped to roles, plus the role of everyone else."""

    emails: dict[str, str] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    default: str | None = None  # None: refused
    groups_claim: str = "groups"

    def role_for(self, email: str | None, groups: Iterable[str] = (), email_verified: bool = True) -> str | None:
        """Return the highest role any rule gives this e-mail and these groups, else the default (None: refused)."""
        found = []
        if email and email_verified:
            address = email.strip().casefold()
            found.append(self.emails.get(address))
            if "@" in address:
                found.append(self.domains.get(address.rsplit("@", 1)[1]))
        found.extend(self.groups.get(g.strip().casefold()) for g in groups)
        found = [r for r in found if r]
        return max(found, key=RANK.__getitem__) if found else self.default


def _higher(current: str | None, role: str) -> str:
    return role if current is None or RANK[role] > RANK[current] else current


def parse_role_map(table: Mapping | None) -> RoleMap:
    """Return the RoleMap of a `[pmo_metrics.roles]` table; raise RoleMapError naming a bad entry.

    Each role key lists entries: 'ana@example.com' (an e-mail), '@example.com' (everyone at that
    exact domain) or 'pmo-office' (a group name). An entry listed under several roles gets the
    highest. `default` is "none" (refuse, the default) or a role; `groups_claim` names the claim.
    """
    table = dict(table or {})
    unknown = sorted(set(table) - MAPPING_KEYS)
    if unknown:
        raise RoleMapError(f"[pmo_metrics.roles] has unknown key(s) {', '.join(map(repr, unknown))}; "
                           f"expected {', '.join(ROLES)}, default or groups_claim")
    default = str(table.get("default", NO_ROLE)).strip()
    if default != NO_ROLE and default not in RANK:
        raise RoleMapError(f"[pmo_metrics.roles] default = {default!r}: expected \"none\" or one of "
                           f"{', '.join(ROLES)}")
    groups_claim = table.get("groups_claim", "groups")
    if not isinstance(groups_claim, str) or not groups_claim.strip():
        raise RoleMapError("[pmo_metrics.roles] groups_claim must be the name of a claim, such as \"groups\"")
    emails: dict[str, str] = {}
    domains: dict[str, str] = {}
    groups: dict[str, str] = {}
    for role in ROLES:
        entries = table.get(role, [])
        if isinstance(entries, str):
            entries = [entries]
        if not isinstance(entries, list | tuple):
            raise RoleMapError(f"[pmo_metrics.roles] {role} must be a list of e-mails, @domains and groups")
        for entry in entries:
            text = entry.strip().casefold() if isinstance(entry, str) else ""
            # Group names may hold spaces ("PMO Office"); e-mails and domains never do.
            if not text or ("@" in text and any(c.isspace() for c in text)):
                raise RoleMapError(f"[pmo_metrics.roles] {role}: {entry!r} is not an e-mail, @domain or group name")
            if text.startswith("@"):
                domain = text[1:]
                if not domain or "@" in domain or "." not in domain:
                    raise RoleMapError(f"[pmo_metrics.roles] {role}: {entry!r} is not a domain such as "
                                       "\"@example.com\"")
                domains[domain] = _higher(domains.get(domain), role)
            elif "@" in text:
                emails[text] = _higher(emails.get(text), role)
            else:
                groups[text] = _higher(groups.get(text), role)
    return RoleMap(emails, domains, groups, None if default == NO_ROLE else default, groups_claim.strip())


def _claim_groups(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if str(v).strip())
    return ()


def _verified(value: object) -> bool:
    # Only an explicit "not verified" counts: many providers (Entra ID) never send the claim.
    if isinstance(value, str):
        return value.strip().lower() != "false"
    return value is not False


def user_from_claims(claims: Mapping, role_map: RoleMap) -> User:
    """Return the User an identity token's claims describe, with the role the mapping gives them."""
    email = claims.get("email") or None
    email = str(email).strip() if email else None
    groups = _claim_groups(claims.get(role_map.groups_claim))
    role = role_map.role_for(email, groups, email_verified=_verified(claims.get("email_verified", True)))
    name = email or str(claims.get("preferred_username") or claims.get("name") or claims.get("sub") or "unknown")
    return User(name, role, local=False, groups=groups)
