"""The error services raise for input that breaks a rule: the field, the rule, the message.

Services, management commands and the stream recorder raise :class:`InvalidInput`; the API
turns it into a 400 (``backend.common.api.exceptions``), the recorder into a dead letter.
"""

from __future__ import annotations


class InvalidInput(ValueError):
    """Raised by services for input that breaks a rule; carries the field and the rule.

    ``related``: further fields the same rule involves (a cross-field rule names all).
    """

    def __init__(
        self, *, field: str, rule: str, message: str, related: tuple[str, ...] = ()
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.rule = rule
        self.message = message
        self.related = related
