"""In-place array helpers shared by the update functions (raw numpy or cupy arrays).

They follow PyTorch's CPU kernels operation by operation (`addcdiv`, `lerp`, `add(alpha=)`)
so that the same inputs round the same way, up to fused multiply-adds. Scalars stay Python
floats: NumPy 2 treats them as weak, so float32 arrays stay float32.
"""

from __future__ import annotations

from gradcli.backend import get_array_module
from gradcli.errors import ShapeError


def effective_grad(param, grad, weight_decay: float, maximize: bool):
    """`(-grad if maximize else grad) + weight_decay * param` and whether it is a new array.

    `grad` itself is never written to (it is the parameter's `.grad`); a new array is
    allocated only when maximize or weight decay asks for one.
    """
    xp = get_array_module(param)
    if grad.shape != param.shape:
        raise ShapeError(
            f"optimizer step: a parameter of shape {tuple(param.shape)} has a .grad of shape "
            f"{tuple(grad.shape)}; a gradient must have its parameter's shape"
        )
    owned = grad.dtype != param.dtype
    if owned:  # a hand-set .grad: keep the state in the parameter's dtype
        grad = grad.astype(param.dtype)
    if weight_decay != 0:
        g = xp.multiply(param, weight_decay)
        if maximize:
            g -= grad
        else:
            g += grad
        return g, True
    if maximize:
        return xp.negative(grad, out=grad if owned else None), True
    return grad, owned


def lerp_(start, end, weight: float, scratch) -> None:
    """`start += weight * (end - start)` in place, the way torch.lerp_ rounds it.

    `scratch` is a work array shaped like `start` (overwritten).
    """
    xp = get_array_module(start)
    xp.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        scratch *= weight
        start += scratch
    else:  # PyTorch switches form for large weights: exact at weight == 1
        scratch *= 1.0 - weight
        xp.subtract(end, scratch, out=start)


def addcdiv_(target, value: float, num, den, scratch) -> None:
    """`target += value * num / den` in place (torch.addcdiv_); `scratch` is overwritten."""
    xp = get_array_module(target)
    xp.multiply(num, value, out=scratch)
    scratch /= den
    target += scratch


def addcmul_(target, value: float, a, b, scratch) -> None:
    """`target += value * a * b` in place (torch.addcmul_); `scratch` is overwritten."""
    xp = get_array_module(target)
    xp.multiply(a, value, out=scratch)
    scratch *= b
    target += scratch
