"""DomainError: a refusal with a machine code (English) and a message for people (Vietnamese)."""


class DomainError(Exception):
    """Raised by services; views show `message`, the API answers {"code", "detail"}."""

    status_code = 409

    def __init__(self, code: str, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(DomainError):
    status_code = 404


class InvalidInput(DomainError):
    status_code = 400
