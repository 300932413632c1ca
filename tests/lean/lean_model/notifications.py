"""LEAN's ``NotificationManager`` as a Python algorithm sees it through pythonnet.

LEAN declares two ``Web`` overloads (``Common/Notifications/NotificationManager.cs``)::

    bool Web(string address, object data, PyObject headers)
    bool Web(string address, object data = null, Dictionary<string, string> headers = null)

Which one a Python call reaches is decided by QuantConnect's pythonnet
(``src/runtime/MethodBinder.cs``), and that decides whether the call works:

- ``web(address, data)``: only the ``Dictionary`` overload accepts two arguments
  (``CheckMethodArgumentsMatch``: the ``PyObject`` overload has no default for
  ``headers``), so ``headers`` is ``null`` and the notification is queued.
- ``web(address, data, None)`` or ``headers=None``: both overloads match (``None``
  converts to a ``PyObject`` and to a null ``Dictionary``); the ``PyObject`` one wins
  (``ArgPrecedence``: ``PyObject`` 39 before an ``Object``-coded type 40), and
  ``ConvertToDictionary`` (``Common/Extensions.cs``) throws on ``None``.
- ``web(address, data, {"k": "v"})``: the ``PyObject`` overload again, and
  ``ConvertToDictionary`` reads the dict.

The names follow quantconnect-stubs so this class can stand in for the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Tells "argument not passed" from an explicit None, which pythonnet binds differently.
_NOT_PASSED: Any = object()


class ArgumentException(Exception):  # noqa: N818 - the .NET exception's name
    """``System.ArgumentException`` as pythonnet raises it into Python."""


@dataclass
class NotificationWeb:
    """``Common/Notifications/Notification.cs`` ``NotificationWeb``: address, data, headers."""

    address: str
    data: Any
    headers: dict[str, str] | None


def convert_to_dictionary(headers: Any) -> dict[str, str]:
    """``Common/Extensions.cs`` ``ConvertToDictionary<string, string>`` on a PyObject."""
    if not isinstance(headers, dict):
        # new PyDict(pyObject) throws "object is not a dict" (pythonnet PyDict.cs), and
        # ConvertToDictionary rethrows it as an ArgumentException.
        raise ArgumentException(
            f"ConvertToDictionary cannot convert {type(headers).__name__} to PyDict: "
            "object is not a dict"
        )
    converted: dict[str, str] = {}
    for key, value in headers.items():
        # item.As<string>() (pythonnet Converter.cs) refuses a non-str key or value.
        if not isinstance(key, str) or not isinstance(value, str):
            raise ArgumentException(
                f"ConvertToDictionary cannot convert {type(key).__name__}: "
                f"{type(value).__name__} to String: String"
            )
        converted[key] = value
    return converted


def can_send(notification: object) -> bool:
    """``Common/Notifications/Notification.cs`` ``CanSend``: open-source LEAN sends no web,
    email, SMS, Telegram or FTP notification (``Messaging/Messaging.cs``
    ``SendNotification`` logs "Send not implemented" and returns)."""
    return not isinstance(notification, NotificationWeb)


class NotificationManager:
    """The algorithm's ``notify``, reduced to ``web``.

    Parameters
    ----------
    live_mode
        ``NotificationManager(bool liveMode)``: outside live mode ``Web`` returns False.
    """

    def __init__(self, live_mode: bool = True) -> None:
        self._live_mode = live_mode
        # NotificationManager.Messages: what LEAN's live result handler sends later.
        self.messages: list[NotificationWeb] = []

    def web(self, address: str, data: Any = None, headers: Any = _NOT_PASSED) -> bool:
        """Queue a POST of ``data`` to ``address``, bound the way pythonnet binds it."""
        if headers is _NOT_PASSED:
            # MethodBinder.cs CheckMethodArgumentsMatch: only Web(string, object = null,
            # Dictionary = null) accepts a missing headers argument.
            return self._enqueue(address, data, None)
        # MethodBinder.cs ArgPrecedence ranks PyObject (39) before Dictionary (40), so any
        # explicit headers, None included, reach Web(string, object, PyObject), which
        # calls Common/Extensions.cs ConvertToDictionary before anything else.
        return self._enqueue(address, data, convert_to_dictionary(headers))

    def _enqueue(self, address: str, data: Any, headers: dict[str, str] | None) -> bool:
        # NotificationManager.Web(string, object, Dictionary): false outside live mode,
        # otherwise the notification is queued and the call returns true.
        if not self._live_mode:
            return False
        self.messages.append(NotificationWeb(address, data, headers))
        return True
