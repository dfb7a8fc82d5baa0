"""The data layer's error: `gradcli.errors.DataError`, re-exported for `gradcli.data` users."""

from gradcli.errors import DataError

__all__ = ["DataError"]
