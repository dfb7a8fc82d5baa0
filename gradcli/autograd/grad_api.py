"""`autograd.grad` and `autograd.backward`: gradients of several outputs, returned or accumulated.

>>> x = gradcli.tensor([3.0], requires_grad=True)
>>> (g,) = gradcli.autograd.grad(x**3, x, create_graph=True)   # 3x^2 = 27, itself differentiable
>>> (h,) = gradcli.autograd.grad(g, x)                          # 6x = 18
"""

from __future__ import annotations

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.engine import run_backward
from gradcli.backend import get_array_module
from gradcli.errors import AutogradError, ShapeError


def _as_tuple(x):
    if x is None:
        return None
    return (x,) if isinstance(x, _tensor.Tensor) else tuple(x)


def _roots(outputs, grad_outputs, create_graph):
    """(node, initial gradient) per output: arrays, or Tensors when the graph is recorded."""
    Tensor = _tensor.Tensor
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad_outputs has {len(grad_outputs)} entries but there are {len(outputs)} outputs; "
            "pass one gradient (or None) per output"
        )
    roots = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor):
            raise TypeError(f"outputs[{i}] is a {type(t).__name__}; expected a Tensor")
        if not t._requires_grad:
            raise AutogradError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise AutogradError(
                    f"grad can be implicitly created only for scalar outputs, but output {i} has "
                    f"shape {tuple(t.shape)}: pass grad_outputs (a tensor of that shape)"
                )
            g = get_array_module(t._data).ones_like(t._data)
        else:
            g = g if isinstance(g, Tensor) else t._lift(g)
            if g._data.shape != t._data.shape:
                raise ShapeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                    f"output[{i}] has a shape of {tuple(t.shape)}"
                )
            if create_graph:
                roots.append((t._edge()[0], g.to(t.dtype)))
                continue
            g = g._data.astype(t._data.dtype, copy=True)  # never alias the caller's array
        roots.append((t._edge()[0], Tensor._make(g) if create_graph else g))
    return roots


def _input_nodes(inputs):
    nodes = []
    for i, t in enumerate(inputs):
        if not isinstance(t, _tensor.Tensor):
            raise TypeError(f"inputs[{i}] is a {type(t).__name__}; expected a Tensor")
        if not t._requires_grad:
            raise AutogradError(
                f"One of the differentiated Tensors (inputs[{i}]) does not require grad"
            )
        nodes.append(t._edge()[0])
    return nodes


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """d(outputs)/d(inputs) as a tuple, one per input; leaves' `.grad` are not touched."""
    if is_grads_batched:
        raise AutogradError(
            "gradcli does not support torch.autograd.grad(is_grads_batched=True) yet"
        )
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    roots = _roots(outputs, _as_tuple(grad_outputs), create_graph)
    nodes = _input_nodes(inputs)
    capture = dict.fromkeys(nodes)
    run_backward(
        roots, create_graph if retain_graph is None else retain_graph, create_graph, capture
    )
    Tensor = _tensor.Tensor
    result, seen = [], set()
    for i, (t, node) in enumerate(zip(inputs, nodes)):
        g = capture[node]
        if g is None:
            if materialize_grads:
                result.append(Tensor._make(get_array_module(t._data).zeros_like(t._data)))
                continue
            if not allow_unused:
                raise AutogradError(
                    f"One of the differentiated Tensors (inputs[{i}]) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
            continue
        if not create_graph:
            # an array may reach two inputs (an add passes one on to both): give each its own
            g = g.copy() if id(g) in seen or g.base is not None else g
            seen.add(id(g))
            g = Tensor._make(g)
        result.append(g)
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the leaves' `.grad` (only `inputs`' if given)."""
    tensors = _as_tuple(tensors)
    roots = _roots(tensors, _as_tuple(grad_tensors), create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        run_backward(roots, retain, create_graph)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise AutogradError(
            "backward: inputs= was given but is empty; pass the tensors to accumulate into"
        )
    nodes = _input_nodes(inputs)
    capture = dict.fromkeys(nodes)
    run_backward(roots, retain, create_graph, capture)
    for t, node in zip(inputs, nodes):
        g = capture[node]
        if g is None:
            continue
        if create_graph:
            t.grad = g if t.grad is None else t.grad + g
        elif t.grad is None:
            t.grad = _tensor.Tensor._make(g.copy())
        else:
            t.grad._data += g
