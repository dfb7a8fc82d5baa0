"""Input checks shared by the layers: errors name the layer and the shapes, and say how to fix."""

from __future__ import annotations

from gradcli.errors import ShapeError


def expect_ndim(layer, x, ndims, layout: str) -> None:
    """Raise unless `x` has one of `ndims` dims; a missing batch dim suggests unsqueeze(0)."""
    nd = x.dim()
    if nd in ndims:
        return
    hint = ""
    if nd + 1 == min(ndims):
        hint = "; it looks like a single sample: add a batch dimension with x.unsqueeze(0)"
    want = " or ".join(f"{n}-D" for n in ndims)
    raise ShapeError(
        f"{layer!r}: expected a {want} input {layout} but got shape {tuple(x.shape)}{hint}"
    )


def expect_size(layer, x, dim: int, expected: int, what: str) -> None:
    got = x.shape[dim]
    if got != expected:
        raise ShapeError(
            f"{layer!r}: input has {got} {what} but the layer expects {expected} "
            f"(input shape {tuple(x.shape)})"
        )
