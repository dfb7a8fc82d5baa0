"""Grad mode: whether operations record a graph. `no_grad` is a context manager and decorator."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


class _GradModeContext:
    """Base for no_grad / enable_grad / set_grad_enabled: a context manager and a decorator."""

    mode = True

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self.mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev, _state.enabled = _state.enabled, mode
            try:
                return func(*args, **kwargs)
            finally:
                _state.enabled = prev

        return wrapper


class no_grad(_GradModeContext):
    """Build no graph inside: `with gradcli.no_grad(): w -= lr * w.grad`."""

    mode = False


class enable_grad(_GradModeContext):
    mode = True


class set_grad_enabled(_GradModeContext):
    """`set_grad_enabled(False)` switches grad mode now, and also works as a context manager."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = _state.enabled
        _state.enabled = self.mode

    def __enter__(self):
        pass  # already switched in __init__, like PyTorch

    def __call__(self, func):
        _state.enabled = self._prev  # used as a decorator: undo the switch made by __init__
        return super().__call__(func)
