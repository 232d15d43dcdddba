"""Suite-wide fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina


@pytest.fixture(autouse=True)
def _no_retry_backoff() -> Iterator[None]:
    """Retries keep their attempt counts but do not sleep between attempts."""
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield
