"""Exception root of the core package."""


class NewsflowError(Exception):
    """Root of every error newsflow raises on purpose."""


class ConfigError(NewsflowError):
    """Settings that cannot work together."""


class DecodeError(NewsflowError):
    """A message on a topic that is not what the contract says (goes to the DLQ)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
