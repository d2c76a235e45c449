"""Settings of SPEC §4 with their defaults; stored with the data, changeable from the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class Settings:
    currency: str = "GBP"
    fiscal_year_start_month: int = 1  # 4 = UK April
    discount_rate: float = 0.035  # annual
    # RAG thresholds: green at or above the first, amber at or above the second, red below.
    delivery_green: float = 0.95
    delivery_amber: float = 0.85
    kpi_green: float = 1.0
    kpi_amber: float = 0.9
    benefit_green: float = 0.95
    benefit_amber: float = 0.85
    sustained_window_months: int = 6
    sustained_threshold: float = 0.9
    max_upload_mb: float = 50.0
    # SPEC §7.3: texts that mean "withheld", comma-separated; a trailing * matches any text
    # starting so ("exempt*" matches "Exempt under Section 43"), otherwise the whole cell must match.
    withheld_markers: str = ("exempt*, withheld*, redacted*, commercially sensitive*, n/a, na, "
                             "not applicable, not available, tbc")
    # SPEC §7.8: the plausible window of periods: from this month to this many years after today.
    period_earliest: str = "2000-01"
    period_years_ahead: int = 10
    # SPEC §9.3: which realised values count: `claimed` (all, as submitted; Part I) or `validated`.
    realised_counts: str = "claimed"
    # SPEC §9.1: 'on' = plans are read from the approved baseline; 'off' = the latest plan counts (Part I)
    baseline_control: str = "on"

    def as_dict(self) -> dict:
        """Return the settings as a plain dict."""
        return asdict(self)


SETTING_TYPES = {f.name: f.type for f in fields(Settings)}
REALISED_COUNTS = ("claimed", "validated")  # SPEC §9.3


def coerce_setting(key: str, text: str) -> object:
    """Return `text` converted to the type of setting `key`; raise ValueError with a readable message."""
    if key not in SETTING_TYPES:
        raise ValueError(f"unknown setting {key!r}; known: {', '.join(SETTING_TYPES)}")
    kind = SETTING_TYPES[key]
    try:
        if kind == "int":
            value = int(text)
        elif kind == "float":
            value = float(text)
        else:
            value = str(text).strip()
    except (TypeError, ValueError):
        raise ValueError(f"setting {key} expects a {kind}, got {text!r}") from None
    if key == "fiscal_year_start_month" and not 1 <= value <= 12:
        raise ValueError("fiscal_year_start_month must be 1-12")
    if key == "currency" and (len(value) != 3 or not value.isalpha()):
        raise ValueError("currency must be a three-letter ISO code such as GBP")
    if key == "period_earliest" and not _is_month(value):
        raise ValueError("period_earliest must be a month written YYYY-MM, such as 2000-01")
    if key == "period_years_ahead" and not 0 <= value <= 100:
        raise ValueError("period_years_ahead must be 0-100")
    if key == "withheld_markers" and not any(m.strip().rstrip("*").strip() for m in value.split(",")):
        raise ValueError("withheld_markers needs at least one marker, e.g. exempt*, n/a")
    if key == "realised_counts":
        value = value.lower()
    if key == "realised_counts" and value not in REALISED_COUNTS:
        raise ValueError(f"realised_counts must be one of {', '.join(REALISED_COUNTS)}")
    if key == "baseline_control":
        value = value.lower()
        if value not in ("on", "off"):
            raise ValueError("baseline_control must be on or off")
    if key == "sustained_window_months" and value < 1:
        raise ValueError("sustained_window_months must be at least 1")
    return value.upper() if key == "currency" else value


def _is_month(text: str) -> bool:
    parts = text.split("-")
    return (len(parts) == 2 and all(p.isdigit() for p in parts) and len(parts[0]) == 4
            and 1 <= int(parts[1]) <= 12)
