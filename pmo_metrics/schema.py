"""The input contract of SPEC §2 as data: sheets, columns, types, aliases and rules.

Everything that reads or checks an upload (readers, validator, template, docs) works from the
declarations here, so a column added in one place appears everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Column types. `period` is normalised to the first day of its calendar month.
TEXT, NUMBER, DATE, PERIOD, ENUM, PERCENT = "text", "number", "date", "period", "enum", "percent"


def normalise_name(text: str) -> str:
    """Return `text` folded for forgiving matching: lower case, no spaces or punctuation."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    # For ENUM: canonical value -> accepted spellings (matched after normalise_name).
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    default: object = None
    # The column's own checks beyond its type (validate.py builds the rules from these):
    money: bool = False  # an amount in currency: scaled by the upload's or header's unit (SPEC §7.4)
    identifier: bool = False  # a key or reference: NFKC-normalised, no invisible or line characters
    pattern: tuple[str, str] | None = None  # (RE2 pattern the whole value must match, what is expected)
    max_length: int = 500  # SPEC §7.8, for text

    @property
    def single_line(self) -> bool:
        """True when tab and newline are refused (ids and codes); free text may hold them (SPEC §7.8)."""
        return self.identifier or self.pattern is not None

    def spellings(self) -> set[str]:
        """Return every normalised header text that names this column."""
        return {normalise_name(self.name), *(normalise_name(a) for a in self.aliases)}

    def choice_lookup(self) -> dict[str, str]:
        """Return normalised spelling -> canonical enum value."""
        lookup = {}
        for value, spellings in self.choices.items():
            for spelling in (value, *spellings):
                lookup[normalise_name(spelling)] = value
        return lookup


@dataclass(frozen=True)
class Sheet:
    name: str
    table: str  # store table name
    key: tuple[str, ...]  # unique key inside one sheet
    entity: str  # the column whose values are the snapshot entities (SPEC §3)
    description: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        """Return the column named `name` (canonical name)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def spellings(self) -> set[str]:
        """Return every normalised sheet or file name that means this sheet."""
        return {normalise_name(self.name), normalise_name(self.table), *(normalise_name(a) for a in self.aliases)}

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


# Commentary explains a figure in the owner's words: longer than a name may be (SPEC §7.8 caps names).
COMMENTARY_LENGTH = 5000


STAGES = {
    "initiation": ("initiate", "initiating", "idea", "concept", "not started", "notstarted"),
    "planning": ("plan", "design"),
    "execution": ("executing", "delivery", "in progress", "inprogress", "active"),
    "closing": ("close", "closedown"),
    "closed": ("complete", "completed", "done"),
}
# SPEC §8.1 delivery confidence, best first. The spellings are for the template and the docs;
# pmo_metrics/confidence.py reads a cell (numbers 1-5, any punctuation, withheld markers).
CONFIDENCE_SCALE = {
    "green": ("g", "5"),
    "amber/green": ("amber green", "ag", "4"),
    "amber": ("a", "3"),
    "amber/red": ("amber red", "ar", "2"),
    "red": ("r", "1"),
}
DIRECTIONS = {
    "higher_is_better": ("higher", "up", "max", "maximise", "maximize", "increase"),
    "lower_is_better": ("lower", "down", "min", "minimise", "minimize", "decrease"),
}


def _direction(description: str) -> Column:
    return Column("direction", ENUM, description, choices=DIRECTIONS, default="higher_is_better")


PROJECTS = Sheet(
    "Projects", "projects", ("project_id",), "project_id",
    "One row per project: who owns it, where it sits in the portfolio, its stage and budget.",
    (
        Column("project_id", TEXT, "Unique project code, e.g. PRJ-001.", True,
               ("id", "project", "project_code", "project_ref", "project_number", "project_no"), identifier=True),
        Column("project_name", TEXT, "Project name as executives know it.", True,
               ("name", "project_title", "title")),
        Column("portfolio", TEXT, "Portfolio the project belongs to.", True, ("portfolio_name",)),
        Column("programme", TEXT, "Programme within the portfolio (optional).", False,
               ("program", "programme_name", "program_name")),
        Column("sponsor", TEXT, "Senior responsible owner.", False, ("sro", "project_sponsor")),
        Column("manager", TEXT, "Project manager.", False, ("project_manager", "pm")),
        Column("strategic_objective", TEXT, "Organisational goal the project serves.", False,
               ("objective", "strategic_goal", "goal")),
        Column("stage", ENUM, "Lifecycle stage: initiation, planning, execution, closing, closed.",
               False, ("status", "phase", "lifecycle_stage"), choices=STAGES),
        Column("start_date", DATE, "Planned or actual start date.", False, ("start",)),
        Column("end_date", DATE, "Planned or actual end date.", False, ("end", "finish", "finish_date")),
        Column("budget_at_completion", NUMBER, "Approved budget at completion (BAC), >= 0.", False,
               ("bac", "budget", "total_budget", "approved_budget", "whole_life_cost", "wlc",
                "whole_life_costs"), minimum=0, money=True),
        Column("currency", TEXT, "ISO currency code; defaults to the currency setting.", False,
               ("ccy", "currency_code"),
               pattern=("[A-Za-z]{3}", "expected a three-letter ISO currency code such as GBP")),
        Column("delivery_confidence", ENUM,
               "Delivery confidence: green, amber/green, amber, amber/red, red (or 1 red ... 5 green); "
               "a withheld marker (exempt, n/a, tbc, ...) leaves it blank.", False,
               ("dca", "delivery_confidence_assessment", "confidence_rating", "delivery_rating"),
               choices=CONFIDENCE_SCALE),
        Column("status_commentary", TEXT, "The owner's commentary on the project this month (plain text).",
               False, ("commentary", "status_comment", "project_commentary", "narrative"),
               max_length=COMMENTARY_LENGTH),
    ),
    aliases=("project", "project list", "register", "project register"),
)

FINANCIALS = Sheet(
    "Financials", "financials", ("project_id", "period"), "project_id",
    "One row per project and month: baseline, actual and forecast cost, earned value, progress.",
    (
        Column("project_id", TEXT, "Project code from the Projects sheet.", True,
               ("id", "project", "project_code", "project_ref"), identifier=True),
        Column("period", PERIOD, "Month (any date in it): 2026-10, Oct-26, 31/10/2026, ...", True,
               ("month", "date", "reporting_period")),
        Column("planned_cost", NUMBER, "Baseline cost phased to this month (PV increment), >= 0.",
               False, ("budget", "planned", "plan", "baseline_cost", "pv", "planned_value"), minimum=0, money=True),
        Column("actual_cost", NUMBER, "Actual cost in this month (months up to the reporting month), >= 0.",
               False, ("actual", "actuals", "ac", "spend", "actual_spend"), minimum=0, money=True),
        Column("forecast_cost", NUMBER, "Forecast cost for this month (months after the reporting month), >= 0.",
               False, ("forecast", "fcst", "forecast_spend"), minimum=0, money=True),
        Column("earned_value", NUMBER, "Earned value in this month (the increment), >= 0.", False,
               ("ev", "earned"), minimum=0, money=True),
        Column("percent_complete", PERCENT, "Cumulative % complete: 0-100, or 0-1 when every value is <= 1.",
               False, ("pct_complete", "complete", "progress", "percent", "completion"), minimum=0, maximum=100),
        Column("quality_score", NUMBER, "Quality score 0-100.", False, ("quality",), minimum=0, maximum=100),
    ),
    aliases=("finance", "costs", "cost", "project financials"),
)

BENEFITS = Sheet(
    "Benefits", "benefits", ("benefit_id",), "benefit_id",
    "One row per benefit: what it is, who owns it, how it is measured.",
    (
        Column("benefit_id", TEXT, "Unique benefit code, e.g. BEN-001.", True,
               ("id", "benefit", "benefit_code", "benefit_ref"), identifier=True),
        Column("project_id", TEXT, "Project that delivers the benefit.", True, ("project", "project_code"),
               identifier=True),
        Column("benefit_name", TEXT, "Short description of the benefit.", True, ("name", "title", "description")),
        Column("category", ENUM, "financial (cash-releasing, in currency), non_financial (another unit) or "
               "dis_benefit (harm, entered positive: in currency when it has no unit).",
               True, ("benefit_category", "class"),
               choices={"financial": ("cash", "cashable", "cash releasing", "monetary"),
                        "non_financial": ("nonfinancial", "non cash", "noncashable", "non cashable", "other"),
                        # SPEC §10.1: a measurable adverse outcome, entered as positive amounts of harm
                        "dis_benefit": ("disbenefit", "dis benefit", "negative benefit", "adverse")}),
        Column("benefit_type", TEXT, "Revenue, cost saving, cost avoidance, productivity, customer, risk, ...",
               False, ("type",)),
        Column("owner", TEXT, "Benefit owner (accountable for realisation).", False, ("benefit_owner",)),
        Column("unit", TEXT, "Unit of a non-financial benefit (e.g. NPS points, hours).", False, ("units", "uom")),
        Column("measure", ENUM, "flow (summed over months; default for financial) or level (a point reading).",
               False, ("measure_type", "measurement"),
               choices={"flow": ("cumulative", "sum", "summed"), "level": ("point", "snapshot", "reading")}),
        Column("baseline_value", NUMBER, "Value before the change (level benefits).", False, ("baseline",)),
        Column("target_value", NUMBER, "Target value (level benefits).", False, ("target",)),
        Column("strategic_objective", TEXT, "Organisational goal the benefit serves.", False,
               ("objective", "strategic_goal", "goal")),
        Column("confidence", PERCENT, "Confidence 0-1 (or %) that the forecast is realised; default 1.", False,
               ("probability", "likelihood"), minimum=0, maximum=1, default=1.0),
        Column("commentary", TEXT, "The owner's commentary on the benefit this month (plain text).", False,
               ("benefit_commentary", "comment", "comments", "narrative"), max_length=COMMENTARY_LENGTH),
    ),
    aliases=("benefit register", "benefits register", "benefit"),
)

VALUE_MEASURES = {
    "planned": ("plan", "planned_value", "baseline", "budget"),
    "forecast": ("forecast_value", "fcst"),
    "realised": ("realized", "realised_value", "realized_value", "actual", "actuals"),
}

BENEFIT_VALUES = Sheet(
    "BenefitValues", "benefit_values", ("benefit_id", "period"), "benefit_id",
    "One row per benefit and month: planned, forecast and realised value. Also accepted wide: "
    "benefit_id, measure (planned/forecast/realised), then one column per month.",
    (
        Column("benefit_id", TEXT, "Benefit code from the Benefits sheet.", True, ("id", "benefit", "benefit_code"),
               identifier=True),
        Column("period", PERIOD, "Month (any date in it).", True, ("month", "date")),
        Column("planned_value", NUMBER, "Baseline plan of the benefit in this month.", False, ("planned", "plan")),
        Column("forecast_value", NUMBER, "Current forecast (months after the reporting month).", False,
               ("forecast", "fcst")),
        Column("realised_value", NUMBER, "Measured actual value.", False,
               ("realised", "realized", "realized_value", "actual", "actual_value")),
    ),
    aliases=("benefit values", "benefit profile", "benefits profile", "benefit forecast", "benefit forecasts"),
)

KPIS = Sheet(
    "KPIs", "kpis", ("kpi_id", "period"), "kpi_id",
    "One row per KPI and month: actual against budget, forecast and target.",
    (
        Column("kpi_id", TEXT, "Unique KPI code.", True, ("id", "kpi", "kpi_code", "metric_id"), identifier=True),
        Column("kpi_name", TEXT, "KPI name.", False, ("name", "kpi_description", "description")),
        Column("strategic_objective", TEXT, "Organisational goal the KPI measures.", False,
               ("objective", "strategic_goal", "goal")),
        Column("period", PERIOD, "Month (any date in it).", True, ("month", "date")),
        Column("actual", NUMBER, "Actual value for the month.", False, ("actuals", "actual_value")),
        Column("budget", NUMBER, "Budgeted value for the month.", False, ("budget_value", "plan")),
        Column("forecast", NUMBER, "Forecast value for the month.", False, ("forecast_value", "fcst")),
        Column("target", NUMBER, "Target value for the month.", False, ("target_value", "goal_value")),
        Column("unit", TEXT, "Unit of the KPI.", False, ("units", "uom")),
        _direction("higher_is_better (default) or lower_is_better."),
        Column("aggregation", ENUM, "How months combine over a quarter or year: sum (default), last, mean.",
               False, ("agg", "aggregate"),
               choices={"sum": ("total", "add"), "last": ("latest", "closing", "end"),
                        "mean": ("average", "avg")}, default="sum"),
        Column("commentary", TEXT, "Commentary on the KPI's figure this month (plain text).", False,
               ("kpi_commentary", "comment", "comments", "narrative"), max_length=COMMENTARY_LENGTH),
    ),
    aliases=("kpi", "kpis", "key performance indicators", "indicators"),
)

BENCHMARKS = Sheet(
    "Benchmarks", "benchmarks", ("metric", "period"), "metric",
    "One row per benchmark metric and period: our value against peers.",
    (
        Column("metric", TEXT, "Benchmark metric name.", True, ("benchmark", "measure", "metric_name"),
               identifier=True),
        Column("period", PERIOD, "Month of the benchmark reading.", True, ("month", "date")),
        Column("our_value", NUMBER, "Our value.", True, ("our", "ours", "value", "us")),
        Column("peer_median", NUMBER, "Median of the peer group.", True, ("median", "peer_p50")),
        Column("peer_top_quartile", NUMBER, "Top-quartile value of the peer group.", False,
               ("top_quartile", "upper_quartile", "peer_p75", "peer_top")),
        _direction("higher_is_better (default) or lower_is_better."),
        Column("source", TEXT, "Where the benchmark comes from.", False, ("benchmark_source",)),
    ),
    aliases=("benchmark", "peers", "peer benchmarks"),
)

# SPEC §10.2: the benefit map. Node types an id may be declared as on its first mention; ids that are
# projects, benefits or strategic objectives need none.
NODE_TYPES = {
    "enabler": ("enablers", "output", "capability"),
    "outcome": ("outcomes", "business change", "change"),
}
MAP_RELATIONS = {
    "enables": ("enable", "enabled_by_this"),
    "contributes_to": ("contributes", "contributes to", "contributesto", "leads_to", "leads to"),
}

BENEFIT_MAP = Sheet(
    "BenefitMap", "benefit_map", ("from_id", "to_id"), "from_id",
    "One row per link of the benefit map, left to right: projects -> enablers -> outcomes -> benefits "
    "-> objectives. Ids are projects, benefits, strategic objectives, or enablers/outcomes named here "
    "(node_type on their first mention). The map must have no cycle.",
    (
        Column("from_id", TEXT, "Project, enabler, outcome, benefit or objective the link starts at.", True,
               ("from", "source", "from_node"), identifier=True),
        Column("to_id", TEXT, "Enabler, outcome, benefit or objective the link leads to.", True,
               ("to", "target", "to_node"), identifier=True),
        Column("relation", ENUM, "enables or contributes_to.", True, ("link", "relationship", "link_type"),
               choices=MAP_RELATIONS),
        Column("weight", PERCENT, "Share 0-1 (or %) of the target this link carries (optional).", False,
               ("share", "contribution"), minimum=0, maximum=1),
        Column("node_type", ENUM, "enabler or outcome: types the ids of this row that are not projects, "
               "benefits or objectives, on their first mention.", False, ("node", "kind", "node_kind"),
               choices=NODE_TYPES),
    ),
    aliases=("benefit map", "benefits map", "map", "benefit dependency network", "bdn"),
)

RAID_TYPES = {
    "risk": ("risks", "r"),
    "assumption": ("assumptions", "a"),
    "issue": ("issues", "i"),
    "dependency": ("dependencies", "d"),
    "decision": ("decisions",),
}
RAID_STATUSES = {
    "open": ("active", "live", "in progress", "new"),
    "closed": ("close", "resolved", "done", "complete", "completed", "retired"),
}

RAID = Sheet(
    "RAID", "raid", ("raid_id",), "project_id",
    "One row per risk, assumption, issue, dependency or decision, naming the benefits it touches.",
    (
        Column("raid_id", TEXT, "Unique RAID item code, e.g. R-001.", True, ("id", "raid_ref", "ref", "item_id"),
               identifier=True),
        Column("type", ENUM, "risk, assumption, issue, dependency or decision.", True,
               ("raid_type", "item_type", "category"), choices=RAID_TYPES),
        Column("title", TEXT, "Short description of the item.", True, ("name", "description", "summary")),
        Column("project_id", TEXT, "Project the item belongs to.", True, ("project", "project_code"),
               identifier=True),
        Column("benefit_ids", TEXT, "One or more benefit codes it touches, separated by ; or ,.", False,
               ("benefits", "benefit_id", "benefit", "affected_benefits")),
        Column("owner", TEXT, "Who owns the item.", False, ("raid_owner", "action_owner")),
        Column("status", ENUM, "open (default) or closed.", False, ("state",), choices=RAID_STATUSES,
               default="open"),
        Column("probability", PERCENT, "Risks: probability 0-1 (or %) that it happens.", False,
               ("likelihood", "prob"), minimum=0, maximum=1),
        Column("impact", NUMBER, "Risks: money lost to the benefits if it happens, >= 0.", False,
               ("impact_value", "cost_impact", "financial_impact"), minimum=0, money=True),
        Column("due_date", DATE, "When the item is due to be resolved or decided.", False,
               ("due", "target_date", "action_date", "review_date")),
        Column("commentary", TEXT, "Commentary (plain text).", False, ("comment", "comments", "notes", "narrative"),
               max_length=COMMENTARY_LENGTH),
    ),
    aliases=("raid log", "raid register", "risks", "risk register", "risks and issues"),
)

SHEETS: tuple[Sheet, ...] = (PROJECTS, FINANCIALS, BENEFITS, BENEFIT_VALUES, KPIS, BENCHMARKS, BENEFIT_MAP, RAID)
SHEETS_BY_TABLE = {s.table: s for s in SHEETS}

# The `About` sheet carries metadata, read as label/value pairs.
ABOUT_SHEET = "About"
ABOUT_AS_OF = ("as_of", "asof", "reporting_month", "reporting_period", "as_at")
ABOUT_MODE = ("mode", "upload_mode")  # SPEC §7.1: full | incremental
ABOUT_COMPLETE = ("complete", "complete_return")  # SPEC §7.1: yes | no
ABOUT_TRUE = ("yes", "y", "true", "1", "1.0", "complete")
ABOUT_FALSE = ("no", "n", "false", "0", "0.0")
ABOUT_UNITS = ("units", "unit", "money_units", "amounts_in", "currency_units", "values_in")
ABOUT_REBASELINE = ("rebaseline", "re_baseline")  # SPEC §9.1: yes | no
ABOUT_REBASELINE_REASON = ("rebaseline_reason", "re_baseline_reason")  # SPEC §9.1: why
# Sheets a workbook may carry for its readers, never data: no "not part of the contract" warning.
NOTE_SHEETS = ("instructions", "readme", "read_me", "notes", "guidance", "contents")

# SPEC §6 hostile-input limit on columns (the reader refuses cells beyond it); the size limit is a setting.
MAX_HEADER_SEARCH_ROWS = 11  # the header may sit below up to 10 title/blank rows
MAX_COLUMNS_PER_SHEET = 500


def sheet_for_name(name: str) -> Sheet | None:
    """Return the sheet a sheet (or CSV file) name means, or None when it means none."""
    folded = normalise_name(name)
    for sheet in SHEETS:
        if folded in sheet.spellings():
            return sheet
    return None


def sheet_for_file_stem(stem: str) -> Sheet | None:
    """Return the sheet named by a CSV file name such as `2026-10 Financials` or `benefits`."""
    direct = sheet_for_name(stem)
    if direct:
        return direct
    # Drop dates, version marks and separators: "2026-10 Financials v2" -> "financials".
    words = re.sub(r"\d{4}[-_ ]?\d{0,2}|\bv\d+\b", " ", stem.lower())
    folded = normalise_name(words)
    matches = [s for s in SHEETS if any(sp and sp in folded for sp in s.spellings() if len(sp) > 3)]
    # Prefer the longest spelling so "benefitvalues" beats "benefit".
    best = sorted(matches, key=lambda s: -max(len(sp) for sp in s.spellings() if sp in folded))
    return best[0] if best else None
