"""Domain errors raised by services and turned into messages by views."""


class DomainError(Exception):
    """Base for errors a service raises when a unit of work cannot be done."""

    def __init__(self, message: str = "", field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = dict(field_errors or {})


class Invalid(DomainError):
    """The input breaks a rule; ``field_errors`` maps form fields to messages."""


class NotAllowed(DomainError):
    """The actor may not do this to this record."""


class Conflict(DomainError):
    """The change clashes with the current state (duplicate, already merged...)."""


class NotFound(DomainError):
    """The record asked for does not exist (or is not visible to the actor)."""


class Busy(Exception):
    """The server is too busy to answer now (a flood): answered 503 with Retry-After, never a 500."""

    def __init__(self, retry_after: int = 5):
        super().__init__(retry_after)
        self.retry_after = retry_after
