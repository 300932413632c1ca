"""A small client for QuantConnect's REST API: live commands to a running cloud algorithm.

Authentication (QuantConnect API v2): HTTP basic auth with the user id and the SHA-256
hex digest of ``"<api token>:<unix timestamp>"``, plus a ``Timestamp`` header holding
the same timestamp. Credentials come from ``QC_USER_ID`` and ``QC_API_TOKEN``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

DEFAULT_BASE_URL = "https://www.quantconnect.com/api/v2/"
COMMAND_ENDPOINT = "live/commands/create"
RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})


class CommandDeliveryError(RuntimeError):
    """A command could not be delivered; ``retryable`` tells whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class QuantConnectCredentials:
    """A QuantConnect user id and API token (the token is never shown in ``repr``)."""

    user_id: str
    api_token: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.user_id.strip() or not self.api_token.strip():
            raise ValueError("QC_USER_ID and QC_API_TOKEN must both be set")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> QuantConnectCredentials:
        """Read ``QC_USER_ID`` and ``QC_API_TOKEN``."""
        env = os.environ if environ is None else environ
        return cls(env.get("QC_USER_ID", ""), env.get("QC_API_TOKEN", ""))


def authentication_headers(credentials: QuantConnectCredentials, timestamp: int) -> dict[str, str]:
    """Return the ``Authorization`` and ``Timestamp`` headers for a request made at ``timestamp``."""
    digest = hashlib.sha256(f"{credentials.api_token}:{timestamp}".encode()).hexdigest()
    basic = base64.b64encode(f"{credentials.user_id}:{digest}".encode()).decode()
    return {"Authorization": f"Basic {basic}", "Timestamp": str(timestamp)}


@dataclass(frozen=True)
class CommandClientConfig:
    """Settings of :class:`QuantConnectCommandClient`.

    Attributes
    ----------
    base_url
        API root, ending with ``/``.
    max_attempts
        Tries per command for network errors and 429/5xx answers.
    backoff_seconds
        First wait between tries; doubled each time.
    timeout_seconds
        HTTP timeout per try.
    """

    base_url: str = DEFAULT_BASE_URL
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not self.base_url.endswith("/"):
            raise ValueError("base_url must end with '/'")
        if self.max_attempts < 1 or self.backoff_seconds < 0 or self.timeout_seconds <= 0:
            raise ValueError(
                "max_attempts >= 1, backoff_seconds >= 0, timeout_seconds > 0 required"
            )


class QuantConnectCommandClient:
    """Send commands to a live cloud deployment with ``POST live/commands/create``.

    Parameters
    ----------
    credentials
        User id and API token.
    config
        URL, retries and timeouts.
    http
        The HTTP client (one is created if omitted).
    clock, sleep
        Unix time and a sleep function (injected for tests).
    """

    def __init__(
        self,
        credentials: QuantConnectCredentials,
        config: CommandClientConfig | None = None,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self.config = config or CommandClientConfig()
        self._http = http or httpx.Client(timeout=self.config.timeout_seconds)
        self._clock = clock
        self._sleep = sleep
        self.attempts = 0

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def send_command(self, project_id: int, command: Mapping[str, Any]) -> dict[str, Any]:
        """Deliver ``command`` to the live algorithm of ``project_id``; return the API's answer.

        Raises
        ------
        CommandDeliveryError
            After the last try, or at once for answers that retrying cannot fix
            (bad credentials, unknown project, ``success: false``).
        """
        url = self.config.base_url + COMMAND_ENDPOINT
        body = {"projectId": project_id, "command": dict(command)}
        delay = self.config.backoff_seconds
        last_error = "no attempt made"
        for attempt in range(1, self.config.max_attempts + 1):
            self.attempts += 1
            headers = authentication_headers(self.credentials, int(self._clock()))
            try:
                response = self._http.post(url, json=body, headers=headers)
            except httpx.HTTPError as error:
                last_error = f"{type(error).__name__}: {error}"
            else:
                if response.status_code in RETRIED_STATUS:
                    last_error = f"HTTP {response.status_code}"
                else:
                    return _parse_answer(response)
            if attempt < self.config.max_attempts:
                self._sleep(delay)
                delay *= 2
        raise CommandDeliveryError(
            f"command not delivered after {self.config.max_attempts} tries: {last_error}",
            retryable=True,
        )


def _parse_answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise CommandDeliveryError(
            f"HTTP {response.status_code}: {response.text[:200]}", retryable=False
        )
    try:
        answer = response.json()
    except ValueError:
        raise CommandDeliveryError(
            "the API answered with something that is not JSON", retryable=True
        ) from None
    if not isinstance(answer, dict) or not answer.get("success", False):
        errors = answer.get("errors") if isinstance(answer, dict) else None
        raise CommandDeliveryError(
            f"the API refused the command: {errors or answer}", retryable=False
        )
    return answer
