"""Streamlit's websocket protocol, as much of it as a load client needs (Streamlit 1.67's protobufs).

A browser tab opens `/_stcore/stream` with the subprotocols `streamlit, <XSRF cookie value>` and an
Origin header (the XSRF check gates the auth cookie), then sends a `rerun_script` BackMsg for every
page run: the URL's query string, the page's script hash, and the widget states that changed (a
button press is a trigger value). The server answers with ForwardMsgs; a run ends with
`script_finished` (FINISHED_SUCCESSFULLY, or an error status), and `st.login` ends it with an
`auth_redirect` to `/auth/login?provider=...` instead.

A report's first run in a session draws only its top and a signal component
(dashboard/below_fold.py); a browser then reports the top drawn, and that report (a rerun with the
component's trigger value) draws the whole page: `rerun_message(..., signal=...)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from dashboard.below_fold import SIGNAL_COMPONENT, SIGNAL_EVENT

STREAM_PATH = "/_stcore/stream"
HEALTH_PATH = "/_stcore/health"
XSRF_COOKIE = "_streamlit_xsrf"
SUBPROTOCOL = "streamlit"

# A run that ran to its end.
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY}
# Statuses after which no more messages of this run follow (an early finish for a rerun does not end it).
_FINAL = {*FINISHED, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


def subprotocols(xsrf_cookie: str) -> list[str]:
    """The Sec-WebSocket-Protocol entries a browser sends: the protocol, then the XSRF token."""
    return [SUBPROTOCOL, xsrf_cookie]


def rerun_message(
    query_string: str,
    page_script_hash: str = "",
    *,
    trigger: str | None = None,
    signal: str | None = None,
    cached_hashes: Iterable[str] = (),
    url: str = "",
) -> bytes:
    """A serialized `rerun_script` BackMsg.

    `trigger` names a button pressed for this run; `signal` (the "top drawn" component's widget id)
    makes it the report a browser sends once it has drawn a report's top.
    """
    message = BackMsg()
    state = message.rerun_script
    state.query_string = query_string
    state.page_script_hash = page_script_hash
    if trigger is not None:
        widget = state.widget_states.widgets.add()
        widget.id = trigger
        widget.trigger_value = True
    if signal is not None:
        widget = state.widget_states.widgets.add()
        widget.id = _make_trigger_id(signal, "events")
        widget.json_trigger_value = json.dumps([{"event": SIGNAL_EVENT, "value": True}])
    state.cached_message_hashes.extend(sorted(cached_hashes))
    state.context_info.timezone = "UTC"
    state.context_info.timezone_offset = 0
    state.context_info.locale = "en-US"
    state.context_info.url = url
    return message.SerializeToString()


@dataclass(frozen=True)
class ButtonInfo:
    """A button as drawn: the widget id a press must name, and whether it can be pressed."""

    id: str
    disabled: bool


@dataclass
class PageRun:
    """What one script run sent to the browser, folded message by message."""

    status: int | None = None
    headings: list[str] = field(default_factory=list)  # h1 text, in order
    buttons: dict[str, ButtonInfo] = field(default_factory=dict)  # by label
    query_string: str | None = None  # what st.query_params wrote back
    page_script_hash: str | None = None
    auth_redirect: str | None = None
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error boxes
    warnings: list[str] = field(default_factory=list)
    metrics: int = 0
    messages: int = 0
    bytes: int = 0
    cacheable_hashes: set[str] = field(default_factory=set)
    signal: str | None = None  # the "top drawn" component's id: the rest waits for the browser

    @property
    def done(self) -> bool:
        """No more messages belong to this run."""
        return self.status in _FINAL or self.auth_redirect is not None

    @property
    def succeeded(self) -> bool:
        """The script ran to its end and drew no exception and no error box."""
        return self.status in FINISHED and not self.exceptions and not self.errors

    def add(self, raw: bytes) -> None:
        """Fold one serialized ForwardMsg into the run."""
        message = ForwardMsg()
        message.ParseFromString(raw)
        self.messages += 1
        self.bytes += len(raw)
        if message.metadata.cacheable and message.hash:
            self.cacheable_hashes.add(message.hash)
        kind = message.WhichOneof("type")
        if kind == "script_finished":
            self.status = message.script_finished
        elif kind == "new_session":
            self.page_script_hash = message.new_session.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "auth_redirect":
            self.auth_redirect = message.auth_redirect.url
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._element(message.delta.new_element)

    def _element(self, element: object) -> None:
        kind = element.WhichOneof("type")  # type: ignore[attr-defined]
        value = getattr(element, kind) if kind else None
        if kind == "heading" and value.tag == "h1":
            self.headings.append(value.body)
        elif kind == "button":
            self.buttons[value.label] = ButtonInfo(value.id, value.disabled)
        elif kind == "metric":
            self.metrics += 1
        elif kind == "exception":
            self.exceptions.append(f"{value.type}: {value.message}")
        elif kind == "alert" and value.format == Alert.ERROR:
            self.errors.append(value.body)
        elif kind == "alert" and value.format == Alert.WARNING:
            self.warnings.append(value.body)
        elif kind == "bidi_component" and value.component_name == SIGNAL_COMPONENT:
            self.signal = value.id
