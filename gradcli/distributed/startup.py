"""Starting a run on several ranks: all start, or all stop with one message (never a hang).

Each rank builds its part (config, data, model, checkpoint); then the ranks compare notes once.
If any failed, rank 0 says why, naming the rank, and every rank leaves; if their configs or
gradcli's code differ, the job stops before the first step instead of training out of step.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from gradcli.errors import ConfigError, GradcliError

_CODE = None


class PeerFailed(GradcliError):
    """Another rank failed; this one leaves without a message (rank 0 gives it)."""

    collective = True


def start_together(world, build, config_of):
    """`build()` on every rank; its result where all ranks succeeded and agree."""
    if world.size == 1:
        return build()
    result = error = None
    try:
        result = build()
    except Exception as e:  # noqa: BLE001 - every rank's failure is reported below
        error = e
    if error is None:
        mine = (fingerprint(config_of(result)), None)
    else:
        mine = (None, " ".join(str(error).split()) or type(error).__name__)
    reports = world.allgather(mine)
    failed = [(rank, message) for rank, (_, message) in enumerate(reports) if message]
    prints = {p for p, _ in reports if p is not None}
    if not failed and len(prints) <= 1:
        return result
    if result is not None and hasattr(result, "discard"):
        result.discard()
    if error is not None:
        error.collective = True  # each failed rank raises its own; rank 0's is shown
        raise error
    if failed:
        rank, message = failed[0]
        raise PeerFailed(f"rank {rank} of {world.size} could not start: {message}")
    odd = next(r for r, (p, _) in enumerate(reports) if p != reports[0][0])
    e = ConfigError(
        f"rank {odd} of {world.size} has a different config or gradcli version than rank 0; "
        "start every rank from the same config, overrides and installation"
    )
    e.collective = True
    raise e


def fingerprint(config) -> str:
    """A digest of the resolved config and of gradcli's own source files."""
    global _CODE
    if _CODE is None:
        digest = hashlib.sha256()
        package = Path(__file__).resolve().parent.parent
        for path in sorted(package.rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
        _CODE = digest.hexdigest()
    settings = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256((settings + _CODE).encode()).hexdigest()
