"""The command line of SPEC §5: `pmo-metrics COMMAND [--db PATH] …`.

Exit codes: 0 success (an upload loaded or found to be a duplicate), 1 the input was rejected
or the action refused, 2 usage. Problems print as a table; a traceback is never shown to a user
(set PMO_METRICS_DEBUG=1 to see one).

Every write goes through `pmo_metrics.actions`, as the dashboard's do. The command line acts as
the operating-system user with the role $PMO_METRICS_ROLE names (unset: admin, every right, as
the dashboard's local mode); `--user` names who is recorded in the audit log.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pyarrow as pa

from . import access, actions, early
from .access import AccessDenied, User
from .measure_tables import TABLES
from .parsing import parse_month_argument, parse_units_argument

if TYPE_CHECKING:  # these load in `main`: an ingest's files are being read meanwhile (pmo_metrics/early.py)
    from .ingest import IngestResult
    from .problems import Problem
    from .store import Store

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command-line argument the user must correct."""


def _month(text: str):
    try:
        return parse_month_argument(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _units(text: str) -> str:
    try:
        return parse_units_argument(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default: $PMO_METRICS_DB, else data/pmo.duckdb)")
    parser = argparse.ArgumentParser(prog="pmo-metrics", description="PMO value dashboard: load, measure, export.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("template", parents=[common], help="write an empty, documented input workbook")
    p.add_argument("-o", "--output", required=True, help="the .xlsx file to write")

    commands.add_parser("demo", parents=[common], help="load the bundled sample portfolio")

    p = commands.add_parser("ingest", parents=[common], help="validate and load workbooks or CSVs")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--as-of", type=_month, help="reporting month YYYY-MM (else About sheet, else file name)")
    p.add_argument("--user", help="who is loading (recorded in the audit log)")
    p.add_argument("--sheet", help="for CSV files: which sheet they hold (else taken from the file name)")
    p.add_argument("--check", action="store_true", help="validate only; store nothing")
    p.add_argument("--mode", choices=("full", "incremental"),
                   help="full: each project's rows replace its earlier ones; incremental: only the periods "
                        "given replace earlier ones (else the About sheet's mode cell, else full)")
    p.add_argument("--complete", action="store_true", default=None,
                   help="the upload lists every project of each portfolio it names; stored projects it leaves "
                        "out have left the portfolio (else the About sheet's complete cell, else not complete)")
    p.add_argument("--units", type=_units, help="money unit of the amounts: units (default), thousands (k, 000, "
                                                "£000), millions (m, mn, £m) or billions (bn)")
    p.add_argument("--mapping", metavar="NAME", help="read the files with this stored column mapping")
    p.add_argument("--report", metavar="FILE.xlsx",
                   help="if a file is rejected, write it back with its bad cells marked and every problem listed")
    p.add_argument("--rebaseline", metavar="REASON",
                   help="the upload re-baselines its plans, for this reason (PMO manager or admin; else the "
                        "changed plans are held as pending re-baselines)")

    p = commands.add_parser("mappings", parents=[common], help="list the stored column mappings")
    p.add_argument("--format", choices=("table", "json"), default="table")

    p = commands.add_parser("uploads", parents=[common], help="the audit log of uploads")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = commands.add_parser("void", parents=[common], help="void an upload (its data stops counting)")
    p.add_argument("upload_id", type=int, metavar="UPLOAD_ID")
    p.add_argument("--user", help="who is voiding (recorded in the audit log)")

    p = commands.add_parser("close-month", parents=[common],
                            help="close a reporting month: it counts as complete though projects have not reported")
    p.add_argument("month", type=_month, metavar="YYYY-MM")
    p.add_argument("--user", help="who is closing it (recorded in the audit log)")

    p = commands.add_parser("measures", parents=[common], help="print one measures table")
    p.add_argument("table", metavar="TABLE", choices=TABLES)
    p.add_argument("--as-of", type=_month, required=True, help="reporting month YYYY-MM")
    p.add_argument("--compare-to", type=_month,
                   help="changes: the month to compare with YYYY-MM (default: the previous stored month)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--portfolio", help="only this portfolio")
    p.add_argument("--programme", help="only this programme")
    p.add_argument("--objective", help="only this strategic objective")
    p.add_argument("--by", choices=("project", "programme", "portfolio"),
                   help="bridge: sum the rows per project, programme or portfolio")
    p.add_argument("--from", dest="from_month", type=_month,
                   help="bridge: the first month YYYY-MM (default: the first stored month)")

    p = commands.add_parser("scorecard", parents=[common], help="export the scorecard (.xlsx, .pdf or .csv)")
    p.add_argument("--as-of", type=_month, required=True, help="reporting month YYYY-MM")
    p.add_argument("--portfolio", help="only this portfolio")
    p.add_argument("--programme", help="only this programme")
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx, FILE.pdf or FILE.csv")

    p = commands.add_parser("backup", parents=[common], help="export the database to a new directory (Parquet)")
    p.add_argument("directory", metavar="DIR", help="a new or empty directory")

    p = commands.add_parser("restore", parents=[common], help="import a backup into a new database file (--db)")
    p.add_argument("directory", metavar="DIR", help="a directory written by `pmo-metrics backup`")

    p = commands.add_parser("settings", parents=[common], help="show settings, or set one: settings KEY VALUE")
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")

    p = commands.add_parser(
        "validate", parents=[common],
        help="validate a benefit's realised values: validate BENEFIT_ID --from YYYY-MM --to YYYY-MM --evidence "
             "TEXT; `validate list [BENEFIT_ID]` shows the log; `validate withdraw ID --reason TEXT`")
    p.add_argument("target", metavar="BENEFIT_ID|list|withdraw")
    p.add_argument("item", nargs="?", metavar="ID", help="list: only this benefit; withdraw: the validation id")
    p.add_argument("--from", dest="from_month", type=_month, metavar="YYYY-MM", help="first month validated")
    p.add_argument("--to", dest="to_month", type=_month, metavar="YYYY-MM", help="last month validated")
    p.add_argument("--evidence", help="what shows the values are real: a note or a link")
    p.add_argument("--reason", help="withdraw: why")
    p.add_argument("--user", help="who (recorded in the log; the command line's own user otherwise)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="list: output format")
    p = commands.add_parser("rebaseline", parents=[common],
                            help="re-baselines: list the pending ones, approve or reject one with a reason")
    p.add_argument("action", choices=("list", "approve", "reject"))
    p.add_argument("rebaseline_id", type=int, nargs="?", metavar="ID", help="approve, reject: the re-baseline")
    p.add_argument("--reason", help="approve, reject: why (required; kept in the audit log)")
    p.add_argument("--all", action="store_true", help="list: the decided ones too, with who decided, when and why")
    p.add_argument("--user", help="who decides (recorded in the audit log)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def format_table(headers: list[str], rows: list[list[object]], max_width: int | None = 70) -> str:
    """Return rows as a plain fixed-width text table (cells cut to `max_width`; None: never cut)."""
    cells = [[("" if v is None else str(v)).replace("\n", " ")[:max_width] for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])


def format_problems(problems: list[Problem]) -> str:
    """Return problems as a table: file, sheet, cell, column, value, problem — never cut short (SPEC §7.7)."""
    rows = [[p.severity, p.file, p.sheet, p.cell, p.column, p.value, p.problem] for p in problems]
    return format_table(["severity", "file", "sheet", "cell", "column", "value", "problem"], rows, max_width=None)


def print_ingest(result: IngestResult, out=None) -> None:
    """Print the outcome of an upload: one line per file, then every problem."""
    from .store import mode_label

    out = out or sys.stdout
    for f in result.files:
        month = f.as_of.strftime("%Y-%m") if f.as_of else "?"
        sheets = ", ".join(f"{name} {rows:,}" for name, rows in f.sheets.items()) or "-"
        extra = f" (identical to upload {f.duplicate_of})" if f.duplicate_of else ""
        upload = f" as upload {f.upload_id}" if f.upload_id and f.status == "loaded" else ""
        print(f"{f.status}: {f.name}{upload}{extra} — as of {month}, {mode_label(f.mode, f.complete)}; "
              f"rows: {sheets}", file=out)
    problems = result.problems
    if problems:
        errors = sum(p.severity == "error" for p in problems)
        print(f"\n{errors} error(s), {len(problems) - errors} warning(s):", file=out)
        shown, more = _fold_rebaselines(problems)
        print(format_problems(shown), file=out)
        if more:
            print(f"… and {more:,} more re-baseline line(s) like these: `pmo-metrics rebaseline list` lists "
                  "every pending one", file=out)


# A return that moves thousands of plans would print a line per entity; the first few say what
# happened, and `rebaseline list` holds them all.
REBASELINE_LINES = 10


def _fold_rebaselines(problems: list) -> tuple[list, int]:
    """Return the problems with at most REBASELINE_LINES re-baseline lines of each kind, and how many were left out."""
    seen: dict[str, int] = {}
    shown = []
    for problem in problems:
        code = getattr(problem, "code", "") or ""
        if code.startswith("rebaseline_"):
            seen[code] = seen.get(code, 0) + 1
            if seen[code] > REBASELINE_LINES:
                continue
        shown.append(problem)
    return shown, len(problems) - len(shown)


def _read_inputs(paths: list[str], store: Store) -> list[tuple[str, bytes]]:
    # Read no more than one byte past the upload limit: an oversized file is refused by ingest
    # all the same, without a multi-gigabyte file ever being held in memory.
    limit = int(store.settings().max_upload_mb * 1024 * 1024)
    files = []
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise UsageError(f"no such file: {path}")
        data = early.data_of(path)  # read already, to be parsed while the command started
        if data is None:
            with p.open("rb") as handle:
                data = handle.read(limit + 1)
        files.append((p.name, data))
    return files


def cmd_template(args, store: Store, user: User) -> int:
    from .template import build_template

    Path(args.output).write_bytes(build_template())
    print(f"wrote the input template to {args.output}")
    return EXIT_OK


def cmd_demo(args, store: Store, user: User) -> int:
    results = actions.load_sample(store, user)
    for result in results:
        print_ingest(result)
    ok = all(r.ok for r in results)
    print(f"sample portfolio loaded into {store.path}" if ok else "the sample did not load")
    return EXIT_OK if ok else EXIT_REJECTED


def cmd_ingest(args, store: Store, user: User) -> int:
    files = _read_inputs(args.files, store)
    csv_sheets = {name: args.sheet for name, _ in files} if args.sheet else None
    if args.report and not args.report.lower().endswith(".xlsx"):
        raise UsageError("the report must be a .xlsx file")
    if args.rebaseline is not None and not args.rebaseline.strip():
        raise UsageError("--rebaseline needs the reason: say why the plan changes")
    if args.check:
        from .ingest import check

        result, _ = check(store, files, args.as_of, csv_sheets, mode=args.mode, complete=args.complete,
                          units=args.units, mapping=args.mapping)
    else:
        result = actions.load(store, user, files, as_of=args.as_of, typed_name=args.user or "",
                              csv_sheets=csv_sheets, mode=args.mode, complete=args.complete, units=args.units,
                              mapping=args.mapping, rebaseline=args.rebaseline)
    print_ingest(result)
    if args.report:
        _write_reports(args.report, files, result)
    return EXIT_OK if result.ok else EXIT_REJECTED


def _write_reports(path_text: str, files: list[tuple[str, bytes]], result: IngestResult) -> None:
    """Write the error workbook of each file with errors (SPEC §7.7): to the path, or one per file when several."""
    from .report import error_workbook

    data_of = dict(files)
    bad = [f for f in result.files if f.errors]
    if not bad:
        print(f"no file has errors; {path_text} not written")
        return
    path = Path(path_text)
    for outcome in bad:
        target = path if len(bad) == 1 else path.with_name(f"{path.stem} - {Path(outcome.name).stem}.xlsx")
        target.write_bytes(error_workbook(outcome.name, data_of.get(outcome.name, b""), outcome.problems))
        print(f"wrote the problems of {outcome.name} to {target}")


def cmd_mappings(args, store: Store, user: User) -> int:
    from .mapping import stored_mappings

    found = stored_mappings(store)
    if args.format == "json":
        print(json.dumps([{"name": m.name, "sheet": m.sheet, "columns": m.columns, "value_maps": m.value_maps}
                          for m in found], indent=1))
        return EXIT_OK
    if not found:
        print("no column mappings yet: make one on the Upload page (map your columns)")
        return EXIT_OK
    rows = [[m.name, m.sheet, "; ".join(f"{h} -> {c or 'ignore'}" for h, c in m.columns.items()),
             "; ".join(f"{c}: " + ", ".join(f"{a} -> {b}" for a, b in v.items()) for c, v in m.value_maps.items())]
            for m in found]
    print(format_table(["name", "sheet", "columns", "values"], rows, max_width=None))
    return EXIT_OK


def cmd_uploads(args, store: Store, user: User) -> int:
    from .store import mode_label

    table = store.uploads()
    rows = table.to_pylist()
    if args.format == "json":
        print(json.dumps(rows, default=str, indent=1))
        return EXIT_OK
    if args.format == "csv":
        from .serialise import to_csv

        # A CSV cell holds text: the decoded sheets and problems go back to JSON, one cell each.
        for name in ("sheets", "messages"):
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, pa.array([json.dumps(v) for v in table[name].to_pylist()]))
        sys.stdout.write(to_csv(table))
        return EXIT_OK
    if not rows:
        print("no uploads yet: run `pmo-metrics demo` or `pmo-metrics ingest FILE`")
        return EXIT_OK
    out = []
    for r in rows:
        sheets = ", ".join(f"{p['sheet']} {p['rows']:,}" for p in r["sheets"])
        out.append([r["upload_id"], r["status"], r["as_of"], mode_label(r["mode"], r["complete"]), r["file_name"],
                    sheets, r["user_name"] or "", str(r["created_at"])[:19], r["errors"] or ""])
    print(format_table(["id", "status", "as_of", "mode", "file", "rows", "user", "when", "errors"], out))
    closures = store.closures().to_pylist()
    if closures:
        print("\nclosed months:")
        print(format_table(["month", "closed by", "when"],
                           [[c["month"], c["closed_by"] or "", str(c["closed_at"])[:19]] for c in closures]))
    return EXIT_OK


def cmd_close_month(args, store: Store, user: User) -> int:
    from .measures import reporting_status

    closed_now, by, when = actions.close_month(store, user, args.month, args.user or "")
    status = reporting_status(store, args.month)
    counts = f"{status.reported} of {status.projects} projects reported"
    if closed_now:
        print(f"{args.month:%Y-%m} closed by {by or 'unknown'} ({counts}); it now counts as complete")
    else:
        print(f"{args.month:%Y-%m} was already closed by {by or 'unknown'} at {str(when)[:19]} ({counts})")
    return EXIT_OK


def cmd_void(args, store: Store, user: User) -> int:
    actions.void(store, user, args.upload_id, args.user or "")
    print(f"upload {args.upload_id} voided; its data no longer counts")
    return EXIT_OK


def _scope(args):
    from .measures import Scope

    return Scope(portfolio=args.portfolio, programme=getattr(args, "programme", None),
                 objective=getattr(args, "objective", None))


def cmd_measures(args, store: Store, user: User) -> int:
    from .measures import changes, measure_table
    from .serialise import to_csv, to_json

    if args.compare_to is not None and args.table != "changes":
        raise UsageError("--compare-to applies to the changes table only")
    if (args.by or args.from_month) and args.table != "bridge":
        raise UsageError("--by and --from apply to the bridge table only")
    if args.table == "changes":
        table = changes(store, args.as_of, args.compare_to, _scope(args))
    elif args.table == "bridge":
        from .measures import bridge, bridge_rollup

        try:
            table = bridge(store, args.as_of, args.from_month, _scope(args))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if args.by:
            table = bridge_rollup(store, args.as_of, args.by, scope=_scope(args), rows=table)
    else:
        table = measure_table(store, args.table, args.as_of, _scope(args))
    sys.stdout.write(to_json(table) + "\n" if args.format == "json" else to_csv(table))
    return EXIT_OK


def cmd_scorecard(args, store: Store, user: User) -> int:
    path = Path(args.output)
    if path.suffix.lower() not in (".xlsx", ".pdf", ".csv"):
        raise UsageError("the output must end in .xlsx, .pdf or .csv")
    path.write_bytes(actions.export_scorecard(store, user, args.as_of, _scope(args), path.suffix.lower().lstrip(".")))
    print(f"wrote the {args.as_of:%Y-%m} scorecard to {path}")
    return EXIT_OK


def cmd_settings(args, store: Store, user: User) -> int:
    if args.key and args.value is None:
        raise UsageError("give a value: pmo-metrics settings KEY VALUE")
    if args.key:
        try:
            value = actions.change_setting(store, user, args.key, args.value)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        print(f"{args.key} = {value}")
        return EXIT_OK
    for key, value in store.settings().as_dict().items():
        print(f"{key} = {value}")
    return EXIT_OK


def cmd_rebaseline(args, store: Store, user: User) -> int:
    if args.action == "list":
        if args.rebaseline_id is not None or args.reason:
            raise UsageError("list takes no ID or reason")
        rows = store.rebaselines(include_decided=args.all).to_pylist()
        if args.format == "json":
            print(json.dumps(rows, default=str, indent=1))
            return EXIT_OK
        if not rows:
            print("no re-baselines" if args.all else "no pending re-baselines")
            return EXIT_OK
        out = [[r["rebaseline_id"], r["status"], r["upload_id"], r["as_of"], r["kind"], r["entity_key"], r["periods"],
                f"{r['first_period']}..{r['last_period']}", f"{r['baseline_total']:,.2f}",
                f"{r['proposed_total']:,.2f}",
                r["requested_by"] or "", r["decided_by"] or "", str(r["decided_at"] or "")[:19], r["reason"] or ""]
               for r in rows]
        print(format_table(["id", "status", "upload", "as_of", "plan", "entity", "periods", "range", "baseline",
                            "proposed", "asked by", "decided by", "when", "reason"], out))
        return EXIT_OK
    if args.rebaseline_id is None:
        raise UsageError(f"give the re-baseline: pmo-metrics rebaseline {args.action} ID --reason TEXT")
    if not (args.reason or "").strip():
        raise UsageError("give the reason: --reason TEXT (kept in the audit log)")
    try:
        actions.decide_rebaseline(store, user, args.rebaseline_id, args.action == "approve", args.reason,
                                  args.user or "")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    said = "approved: the baseline follows it" if args.action == "approve" else "rejected: the baseline stays"
    print(f"re-baseline {args.rebaseline_id} {said}")
    return EXIT_OK


def cmd_backup(args, store: Store, user: User) -> int:
    from .backup import backup

    print(f"backed up {store.path} to {backup(store, args.directory)}")
    return EXIT_OK


def cmd_restore(args, store: Store, user: User) -> int:
    from .backup import restore

    restored = restore(store, args.directory)
    print(f"restored {args.directory} into {restored.path}")
    return EXIT_OK


def cmd_validate(args, store: Store, user: User) -> int:
    """`validate BENEFIT_ID --from --to --evidence`, `validate list [BENEFIT_ID]`, `validate withdraw ID --reason`."""
    if args.target == "list":
        table = store.validations(args.item)
        if args.format != "table":
            from .serialise import to_csv, to_json

            sys.stdout.write(to_json(table) + "\n" if args.format == "json" else to_csv(table))
            return EXIT_OK
        rows = table.to_pylist()
        if not rows:
            print("no validations yet: every realised value is as claimed")
            return EXIT_OK
        print(format_table(
            ["id", "benefit", "from", "to", "months", "amount", "status", "by", "when", "evidence"],
            [[r["validation_id"], r["benefit_id"], r["from_month"], r["to_month"], r["periods"],
              f"{r['amount']:,.2f}", r["status"] if r["status"] == "standing" else
              f"withdrawn by {r['withdrawn_by'] or 'unknown'}: {r['withdrawn_reason']}", r["validated_by"] or "",
              str(r["validated_at"])[:19], r["evidence"]] for r in rows]))
        return EXIT_OK
    if args.target == "withdraw":
        if not (args.item or "").isdigit():
            raise UsageError("name the validation to withdraw: validate withdraw ID --reason TEXT")
        try:
            actions.withdraw_validation(store, user, int(args.item), args.reason or "", args.user or "")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        print(f"validation {args.item} withdrawn; its months count as claimed again")
        return EXIT_OK
    if args.from_month is None or args.to_month is None:
        raise UsageError("give the months validated: --from YYYY-MM --to YYYY-MM")
    try:
        done = actions.validate_benefit(store, user, args.target, args.from_month, args.to_month,
                                        args.evidence or "", args.user or "")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"validation {done['validation_id']}: {done['benefit_id']} {args.from_month:%Y-%m} to "
          f"{args.to_month:%Y-%m}, {done['periods']} month(s) with realised values totalling {done['amount']:,.2f}, "
          f"as they stood in {done['basis_month']:%Y-%m}; validated by {done['validated_by'] or 'unknown'}")
    return EXIT_OK


COMMANDS = {
    "template": cmd_template, "demo": cmd_demo, "ingest": cmd_ingest, "uploads": cmd_uploads,
    "void": cmd_void, "close-month": cmd_close_month, "measures": cmd_measures, "mappings": cmd_mappings,
    "scorecard": cmd_scorecard,
    "settings": cmd_settings,
    "backup": cmd_backup, "restore": cmd_restore,
    "validate": cmd_validate,
    "rebaseline": cmd_rebaseline,
}


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        user = access.cli_user()
    except ValueError as exc:
        print(f"pmo-metrics {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "ingest" and not args.mapping:
        from .settings import Settings

        early.start(args.files, args.sheet, int(Settings().max_upload_mb * 1024 * 1024))
    from .store import Store, StoreBusy, StoreError

    store = Store(args.db)
    # Typed at a prompt (no argv given), a command returns once its data is committed: the rows
    # kept for the pages are made by a process of its own (finish_in_background). Called from
    # Python (argv given), it makes them before it returns, as before.
    store.defer_month_rows = argv is None
    try:
        return COMMANDS[args.command](args, store, user)
    except AccessDenied as exc:
        print(f"pmo-metrics {args.command}: {exc} (the command line's role is set by {access.ROLE_ENV})",
              file=sys.stderr)
        return EXIT_REJECTED
    except UsageError as exc:
        print(f"pmo-metrics {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, StoreBusy) as exc:
        print(f"pmo-metrics {args.command}: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except KeyboardInterrupt:
        print("interrupted; nothing was changed by the unfinished step", file=sys.stderr)
        return EXIT_REJECTED
    except Exception as exc:  # the last line of defence: a message, never a traceback
        if os.environ.get("PMO_METRICS_DEBUG"):
            traceback.print_exc()
        print(f"pmo-metrics {args.command}: unexpected error: {exc}. Nothing was changed. "
              "Set PMO_METRICS_DEBUG=1 for details.", file=sys.stderr)
        return EXIT_REJECTED
    finally:
        early.forget()
        if store.month_rows_deferred:
            finish_in_background(store)


# The work after the commit, in a process of its own: open the store (which replays the log this
# process left), make the month rows of every month that lacks them, checkpoint, exit. It waits for
# the file as any opener does (the command closing it, a dashboard reading it).
_FINISH = "import sys; from pmo_metrics.store import Store; Store(sys.argv[1]).ensure_month_rows()"


def finish_in_background(store: Store) -> None:
    """Hand the month rows and the checkpoint after a load to a detached process, so the prompt returns
    at the commit (docs/performance.md). The committed data is safe in DuckDB's log meanwhile; the
    pages derive a month without month rows live (same figures), and the next opener of the file makes
    them if this process is stopped first."""
    import subprocess

    try:
        with store.connect() as con:
            # Folding the log into the file is the detached process's first step, not this one's last.
            con.execute("PRAGMA disable_checkpoint_on_shutdown")
        subprocess.Popen([sys.executable, "-c", _FINISH, str(store.path)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                         close_fds=True)
    except Exception:  # noqa: BLE001 (the next opener makes them; the command itself succeeded)
        if os.environ.get("PMO_METRICS_DEBUG"):
            traceback.print_exc()


def run() -> NoReturn:
    """The `pmo-metrics` command: `main`, then leave without tearing the heap down.

    Python's own exit frees every object one at a time before the process ends: after a load of a
    300k-row workbook, 0.15-0.2 s of the ~2 s the user waits for, with nothing left to do. Its exit
    work that matters is done here instead: the threads that must finish are joined, the database
    is closed as at any exit (checkpointed, unless a load handed that on), the output is flushed.
    """
    code = main()
    from .connection import close_open_files

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    close_open_files()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe (`| head`) has nothing more to take
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
