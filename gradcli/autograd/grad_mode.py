"""Grad mode: whether operations record a graph. `no_grad` is a context manager and decorator."""

from __future__ import annotations

import functools
import threading
import weakref


class _State(threading.local):
    enabled = True
    inference = False
    anomaly = False


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


class inference_mode(_GradModeContext):
    """`no_grad` that also marks what ops compute inside as inference tensors
    (`is_inference(t)`). Context manager and decorator; `inference_mode(False)` changes nothing.
    """

    mode = False

    def __init__(self, mode: bool = True):
        self.enabled = bool(mode)

    def __enter__(self):
        if self.enabled:
            self._prev_inference = _state.inference
            _state.inference = True
            super().__enter__()

    def __exit__(self, *exc):
        if self.enabled:
            _state.inference = self._prev_inference
            super().__exit__(*exc)
        return False

    def __call__(self, func):
        enabled = self.enabled

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(enabled):
                return func(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled() -> bool:
    return _state.inference


# Tensors have fixed slots, so inference tensors are remembered here (by id, weakly: Tensor's
# elementwise __eq__ rules out a WeakSet).
_inference_tensors = weakref.WeakValueDictionary()
inference_used = False  # lets ops skip the lookup until inference_mode has made a tensor


def mark_inference(t):
    global inference_used
    inference_used = True
    _inference_tensors[id(t)] = t
    return t


def is_inference(t) -> bool:
    """Whether `t` was computed by an op inside `inference_mode`."""
    return _inference_tensors.get(id(t)) is t


class detect_anomaly:
    """Accepted for compatibility (context manager and decorator); gradcli's backward errors
    already name the node that failed, so it only records the flag."""

    def __init__(self, check_nan: bool = True):
        self.mode = True

    def __enter__(self):
        self._prev, _state.anomaly = _state.anomaly, self.mode

    def __exit__(self, *exc):
        _state.anomaly = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly(detect_anomaly):
    """`set_detect_anomaly(True)` sets the flag now, and also works as a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.mode = bool(mode)
        self._prev, _state.anomaly = _state.anomaly, self.mode

    def __enter__(self):
        pass  # already set in __init__


def is_anomaly_enabled() -> bool:
    return _state.anomaly
