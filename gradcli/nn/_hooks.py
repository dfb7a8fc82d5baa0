"""Module.__call__ when hooks are registered: forward (pre-)hooks, and full backward (pre-)hooks.

Backward hooks work as PyTorch's do: the tensors going into and coming out of `forward` pass
through identity Functions. The outputs' identity sees the gradient w.r.t. the outputs
(`grad_output`; backward pre-hooks may replace it), the inputs' identity the gradient w.r.t.
the inputs (`grad_input`), and then the hooks run as `hook(module, grad_input, grad_output)`,
which may return a replacement `grad_input`.
"""

from __future__ import annotations

import itertools

from gradcli.autograd import grad_mode
from gradcli.autograd.custom_function import Function
from gradcli.autograd.tensor import Tensor


class RemovableHandle:
    """Returned by `register_forward_hook` & co.; `handle.remove()` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self.hooks_dict = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _Identity(Function):
    """Passes tensors through unchanged; its backward hands their gradients to `on_grads`."""

    @staticmethod
    def forward(ctx, on_grads, *tensors):
        ctx.on_grads = on_grads
        # those that did not require grad still don't; their entry in grad_input is zeros
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.on_grads(grads))


def _through_identity(values, on_grads):
    """`values` with each Tensor replaced by its identity-wrapped twin, when any requires grad
    (as in PyTorch, the others then get zeros in grad_input rather than None)."""
    picked = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
    if not any(values[i].requires_grad for i in picked):
        return values, 0
    wrapped = _Identity.apply(on_grads, *[values[i] for i in picked])
    out = list(values)
    for i, w in zip(picked, wrapped):
        out[i] = w
    return out, len(picked)


class _BackwardHooks:
    """One forward call's state: the grad_output captured on the way back, waiting for the
    grad_input."""

    def __init__(self, module, n_args):
        self.module = module
        self.n_args = n_args
        self.grad_output = None

    def on_output_grads(self, grads):
        module = self.module
        for hook in list(module._backward_pre_hooks.values()):
            result = hook(module, grads)
            if result is not None:
                grads = result if isinstance(result, tuple) else (result,)
        self.grad_output = grads
        if not self.n_args:  # no input needs a gradient: the hooks run now, with grad_input None
            self._run((None,))
        return grads

    def on_input_grads(self, grads):
        return self._run(grads)

    def _run(self, grad_input):
        module = self.module
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grad_input, self.grad_output)
            if result is not None:
                grad_input = result if isinstance(result, tuple) else (result,)
        return grad_input


class HookMixin:
    """Module's hook registration (each returns a handle whose `remove()` unregisters)."""

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """`hook(module, args)` runs before forward and may return replacement args;
        with_kwargs: `hook(module, args, kwargs)` may return `(args, kwargs)`."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """`hook(module, args, output)` (with_kwargs: `hook(module, args, kwargs, output)`)
        runs after forward and may return a replacement output."""
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """`hook(module, grad_output)` runs when the outputs' gradients are known; it may return
        a replacement grad_output."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend, False)

    def register_full_backward_hook(self, hook, prepend=False):
        """`hook(module, grad_input, grad_output)` runs when the gradients w.r.t. the inputs are
        known; it may return a replacement grad_input."""
        return self._add_hook(self._backward_hooks, hook, prepend, False)

    register_backward_hook = register_full_backward_hook  # PyTorch's legacy name

    def _add_hook(self, hooks, hook, prepend, with_kwargs):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle


def call_with_hooks(module, args, kwargs):
    kw_pre = module._hooks_with_kwargs
    for hid, hook in list(module._forward_pre_hooks.items()):
        if hid in kw_pre:
            result = hook(module, args, kwargs)
            if result is not None:
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    hooks = None
    if (module._backward_hooks or module._backward_pre_hooks) and grad_mode.is_grad_enabled():
        hooks = _BackwardHooks(module, 0)
        args, hooks.n_args = _through_identity(args, hooks.on_input_grads)
        args = tuple(args)
    out = module.forward(*args, **kwargs)
    for hid, hook in list(module._forward_hooks.items()):
        result = hook(module, args, kwargs, out) if hid in kw_pre else hook(module, args, out)
        if result is not None:
            out = result
    if hooks is not None:
        if isinstance(out, Tensor):
            out = _through_identity((out,), hooks.on_output_grads)[0][0]
        elif isinstance(out, (tuple, list)):
            wrapped = _through_identity(tuple(out), hooks.on_output_grads)[0]
            out = type(out)(*wrapped) if hasattr(out, "_fields") else type(out)(wrapped)
    return out
