"""Session-state keys shared by the router and the pages (one place, so pages never guess a key)."""

MONTH = "filter_month"
# A month to switch to on the next run (set after a load; the month widget itself is already drawn then).
PENDING_MONTH = "filter_month_next"
PORTFOLIO = "filter_portfolio"
PROGRAMME = "filter_programme"
OBJECTIVE = "filter_objective"
# Set once the filters have been seeded from the address bar (?month=…&portfolio=…).
URL_READ = "filters_from_url"

# Drill-down choices (portfolio → programme → project → benefit) live on the drill-down page.
DRILL_PORTFOLIO = "drill_portfolio"
DRILL_PROGRAMME = "drill_programme"
DRILL_PROJECT = "drill_project"
DRILL_BENEFIT = "drill_benefit"

# Upload page: the last check report and the uploader's key (bumped to clear it after a load).
UPLOAD_REPORT = "upload_report"
UPLOADER_NONCE = "uploader_nonce"
UPLOAD_MESSAGE = "upload_message"
VOID_PENDING = "void_pending"

# Scorecards page: built board packs, keyed by (month, scope, data version).
BUILT_EXPORTS = "built_exports"

# Set to "1" to stop the app loading the bundled sample into an empty database (tests use it).
NO_SAMPLE_ENV = "PMO_METRICS_NO_SAMPLE"

# The context (database, version, month, scope) the router's filters define for this run.
CONTEXT = "page_context"
# The data version this run's pages read: the file's own, or while another program holds the file
# (a load from the command line), the version read before it took it (ui.data.version_read_before).
READ_VERSION = "read_version"

# The drill-down's path in the address bar (views/drilldown.py): one query parameter per level.
DRILL_URL = {"portfolio": "drill_portfolio", "programme": "drill_programme", "project": "drill_project",
             "benefit": "drill_benefit"}
