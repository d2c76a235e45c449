"""Claimed and validated realisation (SPEC §9.3): who may validate, validated_to_date, the realised_counts switch."""

from __future__ import annotations

import datetime as dt

import pytest

from pmo_metrics import actions, cli, measures
from pmo_metrics.access import AccessDenied, User
from pmo_metrics.store import StoreError
from tests.factories_store import benefit, file_load, project, value

MAR = dt.date(2026, 3, 1)
OWNER = "olive@example.com"
PMO = User("max@example.com", "pmo_manager")


def _b1(feb: float = 200.0) -> list[dict]:
    # planned 250 a month; realised Jan 100, Feb `feb`, Mar 300; April forecast 400
    return [value(benefit_id="B1", period="2026-01", planned_value=250, realised_value=100),
            value(benefit_id="B1", period="2026-02", planned_value=250, realised_value=feb),
            value(benefit_id="B1", period="2026-03", planned_value=250, realised_value=300),
            value(benefit_id="B1", period="2026-04", planned_value=250, forecast_value=400)]


def _load(store, feb: float = 200.0) -> None:
    store.load([file_load(
        "2026-03", projects=[project()],
        benefits=[benefit(benefit_id="B1", owner="Olive@Example.com"),
                  benefit(benefit_id="B2", benefit_name="Benefit two", owner="other@example.com")],
        benefit_values=[*_b1(feb), value(benefit_id="B2", period="2026-01", planned_value=50, realised_value=50)])],
        user="sam")


@pytest.fixture
def loaded(store):
    _load(store)
    return store


def _row(store, benefit_id: str, kept: bool = True) -> dict:
    store.wait_for_month_rows()
    measures.READ_KEPT_ROWS = kept
    try:
        rows = measures.measure_table(store, "benefits", MAR).to_pylist()
    finally:
        measures.READ_KEPT_ROWS = True
    return next(r for r in rows if r["benefit_id"] == benefit_id)


# -- rights ------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", [User(OWNER, "viewer"), User("sue@example.com", "submitter"),
                                  User("bob@example.com", "benefit_owner")])
def test_a_viewer_a_submitter_and_another_owner_are_refused(loaded, user):
    with pytest.raises(AccessDenied, match="Nothing was changed"):
        actions.validate_benefit(loaded, user, "B1", "2026-01", "2026-02", "ledger")
    assert loaded.validations().num_rows == 0


def test_nobody_signed_in_is_asked_to_sign_in(loaded):
    with pytest.raises(AccessDenied, match="Sign in first"):
        actions.validate_benefit(loaded, None, "B1", "2026-01", "2026-02", "ledger")


def test_a_benefit_owner_validates_their_own_benefit_only(loaded):
    olive = User("OLIVE@example.com ", "benefit_owner")  # the e-mail matches ignoring case and spaces
    done = actions.validate_benefit(loaded, olive, "B1", "2026-01", "2026-02", "GL 4411")
    assert (done["periods"], done["amount"], done["validated_by"]) == (2, 300.0, "OLIVE@example.com ")
    with pytest.raises(AccessDenied, match=r"Only its owner \(other@example.com\) or a PMO manager"):
        actions.validate_benefit(loaded, olive, "B2", "2026-01", "2026-01", "GL 4411")


def test_a_pmo_manager_validates_any_benefit_and_alone_withdraws(loaded):
    actions.validate_benefit(loaded, PMO, "B2", "2026-01", "2026-01", "https://finance.example.com/gl/77")
    [log] = loaded.validations().to_pylist()
    assert (log["benefit_id"], log["validated_by"], log["status"]) == ("B2", "max@example.com", "standing")
    with pytest.raises(AccessDenied):
        actions.withdraw_validation(loaded, User("other@example.com", "benefit_owner"), log["validation_id"], "no")
    actions.withdraw_validation(loaded, PMO, log["validation_id"], "wrong ledger")
    [log] = loaded.validations().to_pylist()
    assert (log["status"], log["withdrawn_by"], log["withdrawn_reason"]) == ("withdrawn", "max@example.com",
                                                                              "wrong ledger")
    with pytest.raises(StoreError, match="already withdrawn"):
        actions.withdraw_validation(loaded, PMO, log["validation_id"], "again")


@pytest.mark.parametrize("args, message", [
    (("B1", "2026-02", "2026-01", "x"), "runs backwards"),
    (("B1", "2026-01", "2026-02", "  "), "evidence is empty"),
    (("B1", "2026-01", "2026-02", "bad\x00"), "control character"),
    (("B9", "2026-01", "2026-02", "x"), "no benefit B9"),
    (("B1", "Jan", "2026-02", "x"), "not a month"),
])
def test_a_bad_request_is_refused_and_stores_nothing(loaded, args, message):
    with pytest.raises(ValueError, match=message):
        actions.validate_benefit(loaded, PMO, *args)
    assert loaded.validations().num_rows == 0


def test_a_range_without_realised_values_validates_nothing(loaded):
    with pytest.raises(StoreError, match="no realised value in 2026-04 to 2026-06"):
        actions.validate_benefit(loaded, PMO, "B1", "2026-04", "2026-06", "x")


# -- the figures (hand-worked) ------------------------------------------------------------------


@pytest.mark.parametrize("kept", [True, False])
def test_validated_to_date_and_the_realised_counts_switch(loaded, kept):
    before = _row(loaded, "B1", kept)
    assert (before["realised_to_date"], before["validated_to_date"], before["validated_share"]) == (600, 0, 0)
    actions.validate_benefit(loaded, PMO, "B1", "2026-01", "2026-02", "GL 4411")
    row = _row(loaded, "B1", kept)
    # claimed counts: 100 + 200 + 300 realised; 100 + 200 of it validated
    assert (row["realised_to_date"], row["claimed_to_date"], row["validated_to_date"]) == (600, 600, 300)
    assert row["validated_share"] == pytest.approx(0.5)
    assert row["realisation_rate"] == pytest.approx(600 / 750)
    actions.change_setting(loaded, User("ana@example.com", "admin"), "realised_counts", "Validated")
    row = _row(loaded, "B1", kept)
    # validated counts: realised 300, rate 300 / 750, forecast total 300 + 400, share still of the claim
    assert (row["realised_to_date"], row["claimed_to_date"], row["validated_to_date"]) == (300, 600, 300)
    assert row["realisation_rate"] == pytest.approx(0.4)
    assert row["forecast_total"] == 700
    assert _row(loaded, "B2", kept)["realised_to_date"] == 0  # nothing of B2 validated
    share = measures.validated_share(loaded, MAR)
    assert (share["validated_to_date"], share["claimed_to_date"], share["counts_validated"]) == (300, 650, True)


def test_a_restated_value_is_claimed_again_until_validated_anew(loaded):
    actions.validate_benefit(loaded, PMO, "B1", "2026-01", "2026-03", "GL 4411")
    assert _row(loaded, "B1")["validated_to_date"] == 600
    _load(loaded, feb=250.0)  # a same-month correction restates February
    row = _row(loaded, "B1")
    assert (row["realised_to_date"], row["validated_to_date"]) == (650, 400)  # Jan 100 + Mar 300 still validated
    actions.validate_benefit(loaded, PMO, "B1", "2026-02", "2026-02", "GL 4411 restated")
    assert _row(loaded, "B1")["validated_to_date"] == 650


def test_a_withdrawn_validation_stops_counting(loaded):
    done = actions.validate_benefit(loaded, PMO, "B1", "2026-01", "2026-03", "GL 4411")
    actions.withdraw_validation(loaded, PMO, done["validation_id"], "evidence did not hold")
    assert _row(loaded, "B1")["validated_to_date"] == 0


def test_realised_counts_accepts_only_its_two_values(store):
    with pytest.raises(ValueError, match="claimed, validated"):
        store.set_setting("realised_counts", "audited")


# -- the command line, end to end ------------------------------------------------------------------


def test_the_command_line_validates_lists_and_withdraws(loaded, capsys, monkeypatch):
    db = str(loaded.path)
    monkeypatch.delenv("PMO_METRICS_ROLE", raising=False)
    assert cli.main(["validate", "B1", "--db", db, "--from", "2026-01", "--to", "2026-02",
                     "--evidence", "GL 4411", "--user", "Pat"]) == 0
    assert "validation 1: B1 2026-01 to 2026-02, 2 month(s)" in capsys.readouterr().out
    assert cli.main(["validate", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "GL 4411" in out and "standing" in out and "Pat" in out
    assert cli.main(["measures", "benefits", "--db", db, "--as-of", "2026-03", "--format", "json"]) == 0
    assert '"validated_to_date": 300' in capsys.readouterr().out
    monkeypatch.setenv("PMO_METRICS_ROLE", "viewer")
    assert cli.main(["validate", "B1", "--db", db, "--from", "2026-03", "--to", "2026-03", "--evidence", "x"]) == 1
    assert "Nothing was changed" in capsys.readouterr().err
    monkeypatch.setenv("PMO_METRICS_ROLE", "pmo_manager")
    assert cli.main(["validate", "B1", "--db", db, "--from", "2026-03", "--to", "2026-01", "--evidence", "x"]) == 2
    assert cli.main(["validate", "withdraw", "1", "--db", db, "--reason", "wrong ledger"]) == 0
    capsys.readouterr()
    assert cli.main(["validate", "list", "--db", db, "--format", "csv"]) == 0
    assert "withdrawn" in capsys.readouterr().out
