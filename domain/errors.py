"""Typed errors of Revenue Connector.

Core and storage raise these; the edge (pages, CLI) turns them into a friendly message with
`user_message`, which always says what went wrong and what to do about it.
"""

from __future__ import annotations


class RevenueConnectorError(Exception):
    """Base class. `user_message` is safe to show to a finance user (no secrets, no stack)."""

    def __init__(self, user_message: str, *, hint: str = "") -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.user_message} {self.hint}".strip()


class DataFolderError(RevenueConnectorError):
    """The data folder is missing, not a folder, or not writable."""


class StorageUnavailable(RevenueConnectorError):
    """The database cannot be reached or opened."""


class SchemaOutdated(RevenueConnectorError):
    """The database is at an older schema version than this release needs."""

    def __init__(self, user_message: str, *, current: str | None, required: str, hint: str = "") -> None:
        super().__init__(user_message, hint=hint)
        self.current = current
        self.required = required


class SchemaTooNew(RevenueConnectorError):
    """The database was written by a newer release; this one must not touch it."""


class UnknownDatabase(RevenueConnectorError):
    """The database holds tables that are not ours and carry no schema version."""


class SecretKeyError(RevenueConnectorError):
    """Stored connection secrets cannot be encrypted or decrypted with the configured key."""


class InvalidStageSet(RevenueConnectorError):
    """A workspace's canonical stages break a rule (unique keys, fixed closed stages, weights 0..1)."""


class SourceError(RevenueConnectorError):
    """A source (file, CRM, warehouse) cannot be read; the message names the object and field."""


class NotFound(RevenueConnectorError):
    """A workspace, connection or record that was asked for does not exist."""


class ValidationError(RevenueConnectorError):
    """User input that cannot be accepted; the message names the field."""


class CredentialsError(SourceError):
    """The source refused the credential: expired, rotated, or wrong. The fix is in Connect."""


class QuotaExhausted(SourceError):
    """The source's API allowance is used up; the read stopped cleanly and can be re-run later."""


class SourceUnavailable(SourceError):
    """The source failed mid-read (server error, dropped connection, malformed answer); nothing partial is used."""


class DecisionConflict(RevenueConnectorError):
    """Another reviewer decided the same suggestion first; nothing was overwritten."""


class ConfigurationError(RevenueConnectorError):
    """A setting in the environment or secrets is not usable."""


class NotSignedIn(RevenueConnectorError):
    """Users are defined and nobody has signed in (or the credentials are wrong)."""


class SessionExpired(NotSignedIn):
    """The browser's signed session is older than the session lifetime: sign in again."""


class NotPermitted(RevenueConnectorError):
    """The signed-in person's role does not allow this action."""


class PlanFileError(RevenueConnectorError):
    """An uploaded plan file is malformed; the message names the line and the column."""


class SyncInProgress(RevenueConnectorError):
    """Another sync of the same workspace is running; this one was refused before it touched anything."""


class MassDeletionRefused(RevenueConnectorError):
    """A run would remove a large share of a domain's rows (a source that disappeared?); nothing was written."""

    def __init__(self, user_message: str, *, hint: str = "", summary_json: str | None = None) -> None:
        super().__init__(user_message, hint=hint)
        self.summary_json = summary_json  # what the run would have done, for the page to show


class BrokenReference(RevenueConnectorError):
    """Rows about to be stored point to a run or an account that is not in their workspace."""
