"""The one small error hierarchy of gradcli. The CLI turns these into one-line messages."""


class GradcliError(Exception):
    """Base class of every error gradcli raises on purpose."""


class ShapeError(GradcliError, ValueError):
    """An operation got inputs whose shapes do not fit together."""


class DeviceError(GradcliError, RuntimeError):
    """A device was asked for that cannot be used (no CuPy, no GPU, mixed devices)."""


class AutogradError(GradcliError, RuntimeError):
    """Misuse of the autograd engine (second backward, in-place on a saved tensor, ...)."""


class ConfigError(GradcliError, ValueError):
    """A configuration file or override is invalid."""


class DataError(GradcliError):
    """A dataset, data file or data option is missing, malformed or cannot be downloaded."""


class CheckpointError(GradcliError, OSError):
    """A checkpoint is missing, corrupt, truncated or not a gradcli checkpoint."""
