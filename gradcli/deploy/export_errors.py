"""The errors `gradcli export` raises (GradcliError: the CLI says them in one line, exit 1)."""

from __future__ import annotations

from gradcli.errors import GradcliError


class ExportError(GradcliError):
    """A model or checkpoint cannot be exported: an unsupported module, a missing extra."""


class ExportMismatchError(ExportError):
    """ONNX Runtime's output differs from gradcli's by more than the tolerance."""
