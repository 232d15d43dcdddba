"""Render a TeamMonth's rows fast: as /spend/logs/v2 JSON and as Postgres COPY lines.

Each (key, model) pair gets one pre-serialised template made from a real LiteLLM row; a row is then
one `%` substitution of its numbers, ids and times, so serving 1,000 rows of ~10 kB stays cheap.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import Any

from benchmarks.dataset import ALIASES, MODELS, TeamMonth, iso_ms, load_row_templates

# Row-level placeholders: numbers are written bare, strings inside their quotes.
_NUMERIC = ("spend", "prompt", "completion", "total", "in_cost", "out_cost", "duration")
_PLACEHOLDER = re.compile(r'"@@(\w+)@@"|@@(\w+)@@')

# Columns of "LiteLLM_SpendLogs" that a real proxy fills (the rest keep their defaults).
COPY_COLUMNS = (
    "request_id",
    "call_type",
    "api_key",
    "spend",
    "total_tokens",
    "prompt_tokens",
    "completion_tokens",
    "startTime",
    "endTime",
    "completionStartTime",
    "model",
    "model_id",
    "model_group",
    "custom_llm_provider",
    "api_base",
    "user",
    "metadata",
    "cache_hit",
    "cache_key",
    "request_tags",
    "team_id",
    "end_user",
    "requester_ip_address",
    "session_id",
    "status",
    "organization_id",
    "request_duration_ms",
    "created_at",
    "updated_at",
    "litellm_call_id",
)


def _row_template(tm: TeamMonth, key: int, model_index: int) -> dict[str, Any]:
    """A real row re-addressed to this team, key and model, with @@placeholders@@ for the rest."""
    model = MODELS[model_index]
    row = copy.deepcopy(load_row_templates()["failure" if model.fails else "success"])
    row.update(
        request_id="@@rid@@",
        api_key=tm.tokens[key],
        spend="@@spend@@",
        total_tokens="@@total@@",
        prompt_tokens="@@prompt@@",
        completion_tokens="@@completion@@",
        startTime="@@start_iso@@",
        endTime="@@end_iso@@",
        completionStartTime="@@end_iso@@",
        model=model.name,
        model_id=model.model_id,
        model_group=model.group,
        api_base=model.api_base,
        team_id=tm.team_id,
        session_id="@@session@@",
        litellm_call_id="@@rid@@" if model.fails else "@@call@@",
        request_duration_ms="@@duration@@",
    )
    meta = row["metadata"]
    meta.update(
        user_api_key=tm.tokens[key],
        user_api_key_alias=ALIASES[key],
        user_api_key_team_id=tm.team_id,
        user_api_key_team_alias=tm.team_alias,
        litellm_call_id=row["litellm_call_id"],
        original_model_group=model.group,
        usage_object={
            "total_tokens": "@@total@@",
            "prompt_tokens": "@@prompt@@",
            "completion_tokens": "@@completion@@",
            "prompt_tokens_details": None,
            "completion_tokens_details": None,
        },
    )
    if isinstance(meta.get("cost_breakdown"), dict):
        meta["cost_breakdown"].update(
            input_cost="@@in_cost@@",
            output_cost="@@out_cost@@",
            total_cost="@@spend@@",
            original_cost="@@spend@@",
        )
    return row


def _to_format(text: str) -> str:
    """JSON text with placeholders -> a %-format string (numbers unquoted)."""
    text = text.replace("%", "%%")

    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if match.group(1) and name in _NUMERIC:
            return f"%({name})s"
        return f'"%({name})s"' if match.group(1) else f"%({name})s"

    return _PLACEHOLDER.sub(sub, text)


def _copy_escape(value: str) -> str:
    """Postgres COPY text format escaping."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class RowRenderer:
    """Renders rows of one TeamMonth by index."""

    def __init__(self, tm: TeamMonth) -> None:
        self.tm = tm
        self._json: dict[tuple[int, int], str] = {}
        self._copy: dict[tuple[int, int], str] = {}
        for k in range(len(ALIASES)):
            for m in range(len(MODELS)):
                row = _row_template(tm, k, m)
                self._json[k, m] = _to_format(json.dumps(row, separators=(", ", ": ")))
                self._copy[k, m] = self._copy_template(row)

    def _copy_template(self, row: dict[str, Any]) -> str:
        fields: list[str] = []
        for column in COPY_COLUMNS:
            if column in ("startTime",):
                fields.append("@@start_pg@@")
            elif column in ("endTime", "completionStartTime", "created_at", "updated_at"):
                fields.append("@@end_pg@@")
            else:
                value = row.get(column)
                if value is None:
                    fields.append("\\N")
                    continue
                text = json.dumps(value) if isinstance(value, dict | list) else str(value)
                fields.append(_copy_escape(text))
        line = "\t".join(fields) + "\n"
        # Placeholders sit bare or JSON-quoted; numbers lose their quotes inside the metadata JSON.
        line = line.replace("%", "%%")

        def sub(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            if match.group(1):
                return f"%({name})s" if name in _NUMERIC else f'"%({name})s"'
            return f"%({name})s"

        return _PLACEHOLDER.sub(sub, line)

    def _values(self, i: int) -> dict[str, Any]:
        v = self.tm.row_values(i)
        v["start_iso"] = iso_ms(v["start"])
        v["end_iso"] = iso_ms(v["end"])
        return v

    def json_rows(self, indices: Iterable[int]) -> str:
        """The rows as the body of a JSON array (without brackets)."""
        c = self.tm.columns
        keys, models = c["key"], c["model"]
        return ", ".join(self._json[int(keys[i]), int(models[i])] % self._values(i) for i in indices)

    def copy_lines(self, indices: Iterable[int]) -> str:
        """The rows as COPY text lines for COPY_COLUMNS."""
        c = self.tm.columns
        keys, models = c["key"], c["model"]
        out: list[str] = []
        for i in indices:
            v = self.tm.row_values(i)
            v["start_pg"] = iso_ms(v["start"], " ", "")
            v["end_pg"] = iso_ms(v["end"], " ", "")
            out.append(self._copy[int(keys[i]), int(models[i])] % v)
        return "".join(out)
