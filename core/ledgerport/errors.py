"""The error hierarchy: callers catch `LedgerportError`; the engine acts on its subclasses."""

from __future__ import annotations

from datetime import date

from .secret import redact


class LedgerportError(Exception):
    """Root of every error ledgerport raises on purpose; its message is meant for the user.

    Its text is redacted: a message that quotes a server's answer cannot carry a credential out.
    """

    def __str__(self) -> str:
        return redact(super().__str__())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ConfigError(LedgerportError):
    """A setting is missing or invalid; the message names the field path."""


class StateError(LedgerportError):
    """The state file and an output disagree (an output was changed or removed outside ledgerport)."""


class PluginError(LedgerportError):
    """A plugin is broken, missing, or does not implement what the engine needs."""


class SourceError(LedgerportError):
    """The source answered with something the connector cannot use; retrying will not help."""


class AuthenticationError(SourceError):
    """The source refused the credentials (key, secret, passphrase, password, permission, IP)."""


class TransientError(SourceError):
    """A failure worth retrying: a 5xx, an HTML error page, a timeout, a dropped connection."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitedError(TransientError):
    """The source asked us to slow down; `retry_after` is how long it wants us to wait, if it said."""


class BadRecordError(SourceError):
    """One raw record cannot be mapped; names the source, the record and the field so it can be found."""

    def __init__(self, *, source: str, record_id: str | None, field: str, reason: str) -> None:
        self.source = source
        self.record_id = record_id
        self.field = field
        self.reason = reason
        where = f"record {record_id!r}" if record_id else "a record without an id"
        super().__init__(f"{source}: {where}: field {field!r}: {reason}")


class MissingPriceError(LedgerportError):
    """A value in money needs a price nobody has: the message says which, and where to add it."""

    def __init__(self, *, asset: str, currency: str, day: date, max_age_days: int) -> None:
        self.asset = asset
        self.currency = currency
        self.day = day
        super().__init__(
            f"no price for {asset} in {currency} on {day.isoformat()}: none that day or in the {max_age_days} days "
            f"before, none through another currency, and no price plugin knows one. Add a line "
            f"'{day.isoformat()},{asset},{currency},PRICE' to the --prices file."
        )
