"""The operator CLI: `usage-dashboard tenants`, `usage-dashboard export` and `usage-dashboard overview`.

It acts with the master key, as a platform admin would. Exit codes: 0 success; 2 bad input (flags,
month, unknown tenant or team, configuration); 3 the tenant source or LiteLLM failed; 1 anything
unexpected. stdout carries only the result. stderr carries, in this order: an export's audit line (one
JSON object, unless AUDIT_LOG_FILE names a file for it), the tenants the source skipped (`tenants`
only, one `warning:` line each), and on failure one `error:` line, always the last.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from usage_core import audit
from usage_core.access import Outcome, Scope, UsageRequest, resolve
from usage_core.config import load_settings
from usage_core.errors import (
    ConfigError,
    InputError,
    TenantSourceError,
    TenantSourceNotConfigured,
    UpstreamError,
    UsageError,
)
from usage_core.forecast import Outlook
from usage_core.identity import Role, User
from usage_core.months import Month, utc_now
from usage_core.overview import OperatorOverview, OperatorTeam
from usage_core.plaintext import terminal_text
from usage_core.service import UsageService, build_service
from usage_core.tenants import SkippedTenant, Tenant
from usage_core.usage import Metrics

EXIT_OK, EXIT_UNEXPECTED, EXIT_INPUT, EXIT_UPSTREAM = 0, 1, 2, 3
PROG = "usage-dashboard"


class _InputProblem(InputError):
    """A flag-level problem found after parsing."""


class _WriteProblem(InputError):
    """A file the CLI was told to write (the export, the audit log) cannot be written."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise _InputProblem(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="LiteLLM tenant usage: operator commands.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    tenants = commands.add_parser("tenants", help="list the tenants of the configured source")
    tenants.add_argument("--format", choices=("table", "json"), default="table")
    export = commands.add_parser("export", help="one tenant's (or team's) usage for a month")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--tenant", metavar="NAME", help="a tenant's metadata.name")
    target.add_argument("--team", metavar="TEAM_ID", help="a LiteLLM team id")
    export.add_argument("--key-alias", metavar="ALIAS", help="with --team: one key alias, matched exactly")
    export.add_argument("--month", metavar="YYYY-MM", help="default: the current UTC month")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", metavar="FILE", type=Path, help="write here instead of stdout")
    overview = commands.add_parser("overview", help="every team (or one org's) with its tenants, for a month")
    overview.add_argument("--month", metavar="YYYY-MM", help="default: the current UTC month")
    overview.add_argument("--org", metavar="ORG", help="only the teams of this org's tenants (spec.orgId)")
    overview.add_argument("--format", choices=("table", "csv", "json"), default="table")
    overview.add_argument("--output", metavar="FILE", type=Path, help="write here instead of stdout")
    return parser


def operator() -> User:
    """The person at the terminal, as the audit names them: the OS account and the host."""
    uid = os.getuid()
    try:
        login = pwd.getpwuid(uid).pw_name  # not $USER: the environment is the caller's to set
    except KeyError:  # a container's arbitrary uid has no passwd entry
        login = f"uid-{uid}"
    return User(
        sub=f"{login}@{socket.gethostname()}",
        email=None,
        name="operator (CLI)",
        org=None,
        role=Role.PLATFORM_ADMIN,
        issuer="cli",
    )


# -- tenants -----------------------------------------------------------------------------------------


def _tenants_table(tenants: Sequence[Tenant]) -> str:
    header = ("NAME", "ORG", "DISPLAY NAME", "TEAM", "KEY ALIAS", "NAMESPACE", "USERS")
    rows = [header] + [
        tuple(
            terminal_text(field)  # tenant fields are outside text: never an escape sequence here
            for field in (
                t.name,
                t.org_id,
                t.display_name,
                t.team_id or "-",
                t.key_alias or "-",
                t.namespace or "-",
                ",".join(t.users) or "-",
            )
        )
        for t in sorted(tenants, key=lambda t: (t.org_id, t.name))
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n" for r in rows
    )


def _tenants_json(tenants: Sequence[Tenant]) -> str:
    items = [
        {
            "name": t.name,
            "org_id": t.org_id,
            "display_name": t.display_name,
            "users": list(t.users),
            "team_id": t.team_id,
            "key_alias": t.key_alias,
            "namespace": t.namespace,
        }
        for t in sorted(tenants, key=lambda t: (t.org_id, t.name))
    ]
    return json.dumps(items, indent=2) + "\n"  # ensure_ascii: every control character is escaped


def _skipped_line(entry: SkippedTenant) -> str:
    named = f" ({entry.name})" if entry.name else ""
    return f"{PROG}: warning: skipped {_one_line(f'{entry.where}{named}: {entry.reason}')}\n"


# -- export ------------------------------------------------------------------------------------------


class _ExportAudit:
    """The one audit line of an export: where it goes, and what the export got to before it ended."""

    def __init__(self, args: argparse.Namespace, stderr: TextIO) -> None:
        self.asked = {
            "tenant": args.tenant,
            "team": args.team,
            "key_alias": args.key_alias,
            "month": args.month,
        }
        self.scope: Scope | None = None
        self.month: Month | None = None
        self._stderr = stderr
        self._file: TextIO | None = None

    def open(self, path: Path | None) -> None:
        """Send the line to `path` (appended; created owner/group-readable) instead of stderr."""
        if path is None:
            return
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        except OSError as exc:
            raise _WriteProblem(
                f"cannot open AUDIT_LOG_FILE {path}: {exc.strerror}; nothing was exported"
            ) from None
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def write(self, outcome: audit.Outcome) -> None:
        """Write the line (one write, so concurrent exports appending to one file do not interleave)."""
        record = audit.audit_record(
            "cli_export", operator(), self.scope, self.month, utc_now(), outcome=outcome, asked=self.asked
        )
        target = self._file or self._stderr
        target.write(audit.to_line(record) + "\n")
        target.flush()
        if self._file is not None:
            self._file.close()


def _export(service: UsageService, args: argparse.Namespace, horizon: int, trail: _ExportAudit) -> str:
    if args.key_alias and not args.team:
        raise _InputProblem("--key-alias needs --team")
    trail.month = Month.parse_or_current(args.month, horizon=horizon)
    request = UsageRequest(tenant=args.tenant, team=args.team, key_alias=args.key_alias)
    tenants = service.tenants() if args.tenant else ()
    resolution = resolve(operator(), tenants, request)
    if resolution.outcome is Outcome.NOT_FOUND and args.tenant:
        for entry in service.skipped_tenants():
            if entry.name == args.tenant:  # say why, rather than "not found"
                raise TenantSourceError(f"tenant {args.tenant!r} is skipped: {entry.where}: {entry.reason}")
    if resolution.outcome is not Outcome.SCOPE or resolution.scope is None:
        raise _InputProblem(resolution.reason)
    trail.scope = resolution.scope
    report = service.report(resolution.scope, trail.month)
    return report.to_csv() if args.format == "csv" else json.dumps(report.to_json(), indent=2) + "\n"


def _overview(service: UsageService, args: argparse.Namespace, horizon: int) -> str:
    month = Month.parse_or_current(args.month, horizon=horizon)
    result = service.operator_overview(month, org=args.org)
    if args.format == "json":
        return json.dumps(result.to_json(), indent=2) + "\n"
    if args.format == "csv":
        return result.to_csv()
    return _overview_table(result)


def _outlook_text(team: OperatorTeam) -> str:
    outlook = team.row.outlook
    if outlook.outlook is Outlook.RUNS_OUT and outlook.runs_out_on:
        return f"runs out {outlook.runs_out_on.isoformat()}"
    if outlook.outlook is Outlook.REACHED:
        return f"reached {outlook.reached_on.isoformat()}" if outlook.reached_on else "over budget"
    return str(outlook.outlook).replace("_", " ")


def _overview_table(result: OperatorOverview) -> str:
    header = ("TEAM / TENANT", "NAME", "SPEND", "REQUESTS", "INPUT", "OUTPUT", "BUDGET", "SPENT", "PROJECTED")
    rows: list[tuple[str, ...]] = [(*header, "OUTLOOK")]
    for team in result.teams:
        t = team.row
        rows.append(
            (
                terminal_text(t.team_id),
                terminal_text(t.team_alias or "-"),
                *_figures(t.totals),
                _money(t.budget.max_budget),
                _money(t.budget.spend),
                _money(t.projected_spend),
                _outlook_text(team),
            )
        )
        for tenant in team.tenants:
            name = terminal_text(tenant.display_name)
            figures = _figures(tenant.totals) if tenant.totals else ("-", "-", "-", "-")
            rows.append(
                (
                    "  " + terminal_text(tenant.tenant),
                    name if tenant.key_alias else f"{name} (no key yet)",
                    *figures,
                    "",
                    "",
                    "",
                    "",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.rjust(width) if 2 <= i <= 8 and n else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for n, row in enumerate(rows)
    ]
    return "\n".join(lines) + f"\n{result.month.label}: {len(result.teams)} teams\n"


def _figures(m: Metrics) -> tuple[str, str, str, str]:
    return (_money(m.spend), f"{m.requests:,}", f"{m.input_tokens:,}", f"{m.output_tokens:,}")


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _write(text: str, output: Path | None, stdout: TextIO) -> None:
    if output is None:
        stdout.write(text)
        return
    directory = output.parent if str(output.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{output.name}.")
    except OSError as exc:
        raise _WriteProblem(f"cannot write {output}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(tmp, output)  # all or nothing: never a half-written export


# -- the command line ----------------------------------------------------------------------------------


def run(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the CLI; returns the exit code."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    trail: _ExportAudit | None = None
    code, problem = EXIT_OK, ""
    outcome: audit.Outcome = "ok"
    try:
        args = _parser().parse_args(argv)
        if args.command == "export":
            trail = _ExportAudit(args, stderr)
        settings = load_settings()
        if trail is not None:
            trail.open(settings.audit_log_file)
        service = build_service(settings)
        if args.command == "tenants":
            tenants = service.tenants()
            stdout.write(_tenants_table(tenants) if args.format == "table" else _tenants_json(tenants))
            for entry in service.skipped_tenants():
                stderr.write(_skipped_line(entry))
        elif args.command == "overview":
            _write(_overview(service, args, settings.months_horizon), args.output, stdout)
        else:
            assert trail is not None
            _write(_export(service, args, settings.months_horizon, trail), args.output, stdout)
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_INPUT
    except (ConfigError, _WriteProblem, TenantSourceNotConfigured) as exc:  # the setup's fault, not the ask's
        code, outcome, problem = EXIT_INPUT, "error", _one_line(exc)
    except InputError as exc:
        code, outcome, problem = EXIT_INPUT, "refused", _one_line(exc)
    except UpstreamError as exc:
        code, outcome, problem = EXIT_UPSTREAM, "error", _one_line(exc)
    except UsageError as exc:
        code, outcome, problem = EXIT_UNEXPECTED, "error", _one_line(exc)
    except Exception as exc:  # never a traceback: it could carry request details
        code, outcome = EXIT_UNEXPECTED, "error"
        problem = f"unexpected error ({type(exc).__name__}); nothing was written"
    if trail is not None:
        try:
            trail.write(outcome)
        except OSError as exc:  # an export that cannot be audited is a failed one
            code = code or EXIT_UNEXPECTED
            problem = problem or f"cannot write the audit line ({exc.strerror}); the export was written"
    if problem:
        stderr.write(f"{PROG}: error: {problem}\n")
    return code


def _one_line(exc: BaseException | str) -> str:
    return " ".join(terminal_text(str(exc)).split())


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
