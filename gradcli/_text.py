"""Text for one-line messages, shared by every layer (it imports nothing from gradcli).

>>> clip(repr("x" * 100))
"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
"""

from __future__ import annotations

QUOTE_CHARS = 60  # a value from a file is quoted up to this length: the message stays one line


def clip(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` if it fits in `limit` characters, else its start and "..." in exactly `limit`."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
