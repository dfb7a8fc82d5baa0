"""NumPy-style keyword aliases that PyTorch accepts wherever an argument is named `dim` or
`keepdim`: `x.sum(axis=1, keepdims=True)` is `x.sum(dim=1, keepdim=True)`."""

from __future__ import annotations

import functools

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def numpy_names(fn):
    """Let `fn` (which takes `dim` and/or `keepdim`) also be called with `axis` / `keepdims`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias, name in _ALIASES:
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(
                            f"{fn.__name__}() got both '{name}' and its alias '{alias}'; "
                            "pass only one"
                        )
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    return wrapper
