"""The operator CLI: `usage-dashboard tenants` and `usage-dashboard export`.

It acts with the master key, as a platform admin would. Exit codes: 0 success; 2 bad input (flags,
month, unknown tenant or team, configuration); 3 the tenant source or LiteLLM failed; 1 anything
unexpected. Failures print one line on stderr and nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from usage_core.access import Outcome, UsageRequest, resolve
from usage_core.config import load_settings
from usage_core.errors import InputError, UpstreamError, UsageError
from usage_core.identity import Role, User
from usage_core.months import Month
from usage_core.service import UsageService, build_service
from usage_core.tenants import Tenant

EXIT_OK, EXIT_UNEXPECTED, EXIT_INPUT, EXIT_UPSTREAM = 0, 1, 2, 3
OPERATOR = User(sub="operator", email=None, name="operator (CLI)", org=None, role=Role.PLATFORM_ADMIN)


class _InputProblem(InputError):
    """A flag-level problem found after parsing."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise _InputProblem(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="usage-dashboard", description="LiteLLM tenant usage: operator commands.")
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
    return parser


def _tenants_table(tenants: Sequence[Tenant]) -> str:
    header = ("NAME", "ORG", "DISPLAY NAME", "TEAM", "KEY ALIAS")
    rows = [header] + [
        (t.name, t.org_id, t.display_name, t.team_id or "-", t.key_alias or "-")
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
    return json.dumps(items, indent=2) + "\n"


def _export(service: UsageService, args: argparse.Namespace) -> str:
    if args.key_alias and not args.team:
        raise _InputProblem("--key-alias needs --team")
    month = Month.parse_or_current(args.month)
    request = UsageRequest(tenant=args.tenant, team=args.team, key_alias=args.key_alias)
    tenants = service.tenants() if args.tenant else ()
    resolution = resolve(OPERATOR, tenants, request)
    if resolution.outcome is not Outcome.SCOPE or resolution.scope is None:
        raise _InputProblem(resolution.reason)
    report = service.report(resolution.scope, month)
    return report.to_csv() if args.format == "csv" else json.dumps(report.to_json(), indent=2) + "\n"


def _write(text: str, output: Path | None, stdout: TextIO) -> None:
    if output is None:
        stdout.write(text)
        return
    directory = output.parent if str(output.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{output.name}.")
    except OSError as exc:
        raise _InputProblem(f"cannot write {output}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(tmp, output)  # all or nothing: never a half-written export


def run(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the CLI; returns the exit code."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
        service = build_service(load_settings())
        if args.command == "tenants":
            tenants = service.tenants()
            text = _tenants_table(tenants) if args.format == "table" else _tenants_json(tenants)
            _write(text, None, stdout)
        else:
            _write(_export(service, args), args.output, stdout)
    except InputError as exc:
        stderr.write(f"usage-dashboard: error: {_one_line(exc)}\n")
        return EXIT_INPUT
    except UpstreamError as exc:
        stderr.write(f"usage-dashboard: error: {_one_line(exc)}\n")
        return EXIT_UPSTREAM
    except UsageError as exc:
        stderr.write(f"usage-dashboard: error: {_one_line(exc)}\n")
        return EXIT_UNEXPECTED
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_INPUT
    except Exception as exc:  # never a traceback: it could carry request details
        stderr.write(f"usage-dashboard: unexpected error ({type(exc).__name__}); nothing was written\n")
        return EXIT_UNEXPECTED
    return EXIT_OK


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
