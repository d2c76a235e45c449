"""Roles, permissions and the e-mail/domain/group → role mapping (pmo_metrics.access)."""

from __future__ import annotations

import pytest

from pmo_metrics import access
from pmo_metrics.access import AccessDenied, RoleMapError, User, parse_role_map, require, user_from_claims

MAPPING = {
    "admin": ["ana@example.com"],
    "pmo_manager": ["PMO Office", "@pmo.example.com"],
    "submitter": ["@programmes.example.com", "sam@example.com"],
    "viewer": ["@example.com", "ana@example.com"],
}

# role → the actions it may do (everything else is refused)
ALLOWED = {
    "viewer": {"view"},
    "submitter": {"view", "upload", "validate_own"},
    "pmo_manager": {"view", "upload", "void", "close_month", "export", "validate_own", "validate",
                    "withdraw_validation", "rebaseline"},
    "admin": {"view", "upload", "void", "close_month", "export", "settings", "validate_own", "validate",
              "withdraw_validation", "rebaseline"},
    None: set(),
    # SPEC §9.3: a benefit owner sees what a viewer sees and validates the benefits they own
    "benefit_owner": {"view", "validate_own"},
}


@pytest.mark.parametrize("role", list(ALLOWED))
@pytest.mark.parametrize("action", list(access.ACTIONS))
def test_each_role_may_do_exactly_its_actions(role, action):
    assert access.can(role, action) is (action in ALLOWED[role])
    if action in ALLOWED[role]:
        require(role, action)
    else:
        with pytest.raises(AccessDenied):
            require(role, action)


@pytest.mark.parametrize("email, groups, role", [
    ("ana@example.com", (), "admin"),  # listed as viewer and admin: the highest wins
    ("ANA@Example.com ", (), "admin"),  # e-mails match case-insensitively
    ("sam@example.com", (), "submitter"),  # an e-mail rule beats the lower domain rule
    ("bo@example.com", (), "viewer"),  # the domain
    ("bo@programmes.example.com", (), "submitter"),
    ("bo@pmo.example.com", (), "pmo_manager"),
    ("bo@sub.pmo.example.com", (), None),  # a domain is exact: subdomains are not included
    ("bo@example.com.evil.org", (), None),
    ("bo@example.com", ("pmo office",), "pmo_manager"),  # group beats domain; case-insensitive
    ("ana@example.com", ("pmo office",), "admin"),
    ("eve@elsewhere.org", (), None),  # no rule and the default: refused
    ("eve@elsewhere.org", ("PMO Office",), "pmo_manager"),
    (None, ("PMO Office",), "pmo_manager"),
    (None, (), None),
])
def test_highest_matching_role_wins(email, groups, role):
    assert parse_role_map(MAPPING).role_for(email, groups) == role


def test_an_unmapped_user_gets_the_default():
    assert parse_role_map({**MAPPING, "default": "viewer"}).role_for("eve@elsewhere.org") == "viewer"
    assert parse_role_map({**MAPPING, "default": "none"}).role_for("eve@elsewhere.org") is None
    assert parse_role_map({}).role_for("anyone@example.com") is None  # no mapping at all: nobody gets in


def test_an_unverified_email_counts_for_nothing():
    mapping = parse_role_map(MAPPING)
    assert mapping.role_for("ana@example.com", email_verified=False) is None
    user = user_from_claims({"email": "ana@example.com", "email_verified": False, "groups": ["PMO Office"]},
                            mapping)
    assert user.role == "pmo_manager"  # groups still count: the provider asserts them


@pytest.mark.parametrize("claims, name, role", [
    ({"email": "ana@example.com", "email_verified": True}, "ana@example.com", "admin"),
    ({"email": "ana@example.com", "email_verified": "false"}, "ana@example.com", None),
    ({"email": "bo@example.com", "groups": "PMO Office"}, "bo@example.com", "pmo_manager"),  # a lone group string
    ({"sub": "123", "groups": ["pmo office", ""]}, "123", "pmo_manager"),
    ({"preferred_username": "bo", "name": "Bo"}, "bo", None),
])
def test_user_from_claims(claims, name, role):
    user = user_from_claims(claims, parse_role_map(MAPPING))
    assert (user.name, user.role, user.local) == (name, role, False)


def test_the_groups_claim_can_be_renamed():
    mapping = parse_role_map({"groups_claim": "roles", "admin": ["dashboard-admins"]})
    assert user_from_claims({"email": "x@y.org", "roles": ["dashboard-admins"]}, mapping).role == "admin"
    assert user_from_claims({"email": "x@y.org", "groups": ["dashboard-admins"]}, mapping).role is None


@pytest.mark.parametrize("table, words", [
    ({"pmo-manager": ["a@b.org"]}, "unknown key(s) 'pmo-manager'"),
    ({"default": "everyone"}, "default = 'everyone'"),
    ({"admin": "@"}, "'@' is not a domain"),
    ({"admin": ["@localhost"]}, "'@localhost' is not a domain"),
    ({"admin": ["a@@b.org"]}, None),  # odd but unambiguous: an e-mail that will simply never match
    ({"admin": ["ana @example.com"]}, "is not an e-mail"),
    ({"admin": [""]}, "is not an e-mail"),
    ({"admin": [3]}, "is not an e-mail"),
    ({"admin": {"a": 1}}, "must be a list"),
    ({"groups_claim": ""}, "groups_claim"),
])
def test_a_bad_mapping_names_the_entry(table, words):
    if words is None:
        parse_role_map(table)
        return
    with pytest.raises(RoleMapError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_role_map(table)


def test_require_message_says_who_may_and_who_you_are():
    viewer = User("vic@example.com", "viewer")
    with pytest.raises(AccessDenied) as refused:
        require(viewer, "void")
    assert str(refused.value) == ("Only a PMO manager or Admin can void uploads; you are signed in as "
                                  "vic@example.com (Viewer). Nothing was changed.")
    with pytest.raises(AccessDenied, match="Sign in first"):
        require(None, "view")
    with pytest.raises(AccessDenied, match="Submitter, PMO manager or Admin can check and load"):
        require(User("x@y.org", None), "upload")
    with pytest.raises(ValueError, match="unknown action"):
        require(viewer, "delete")


def test_local_mode_user_is_an_admin_named_after_the_os_account(monkeypatch):
    monkeypatch.setattr(access.getpass, "getuser", lambda: "pat")
    user = access.local_user()
    assert (user.name, user.role, user.local) == ("pat", "admin", True)
    assert all(user.can(a) for a in access.ACTIONS)
    # Local mode has no identity, so a typed name is recorded; a signed-in user's e-mail always is.
    assert user.audit_name("  Jo Smith ") == "Jo Smith" and user.audit_name("") == "pat"
    assert User("ana@example.com", "admin").audit_name("someone else") == "ana@example.com"


def test_os_user_name_falls_back_when_the_account_has_no_name(monkeypatch):
    def no_name():
        raise KeyError("getpwuid(): uid not found: 1234")

    monkeypatch.setattr(access.getpass, "getuser", no_name)
    assert access.os_user_name() == "local user"
