"""einsum: Einstein summation with PyTorch's rules, and its gradient.

The equation is first made explicit: '...' becomes letters of its own, an implicit output
becomes the '...' letters then the labels used once, in ASCII order (as in PyTorch), and
size-1 dims broadcast against the same label's size elsewhere. The gradient of operand k is the
einsum of the output gradient with the other operands, written to operand k's labels; labels
only operand k has are broadcast back, and a label repeated in it (a diagonal, as in 'ii')
gets the gradient on that diagonal only.
"""

from __future__ import annotations

import string

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.double_backward import const, saved_input
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError


def _fresh(used, n):
    free = [c for c in string.ascii_letters if c not in used]
    if n > len(free):
        raise ShapeError("einsum(): the equation needs more than 52 distinct subscripts")
    used.update(free[:n])
    return free[:n]


def _parse(equation, shapes):
    """(input terms, output term, label sizes) for the explicit form of `equation`."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        more = "fewer" if len(shapes) < len(terms) else "more"
        raise ShapeError(
            f"einsum(): {more} operands were provided than specified in the equation "
            f"'{equation}' ({len(terms)} terms, {len(shapes)} operands)"
        )
    used = set(c for c in eq if c.isalpha())
    for c in eq.replace("...", "").replace("->", "").replace(",", ""):
        if c not in string.ascii_letters:
            raise ShapeError(
                f"einsum(): invalid subscript {c!r} in '{equation}'; use letters a-z, A-Z and '...'"
            )
    named = []
    for term, shape in zip(terms, shapes):
        n = len(term.replace("...", ""))
        if (
            term.count("...") > 1
            or (term.count("...") == 0 and n != len(shape))
            or (n > len(shape))
        ):
            raise ShapeError(
                f"einsum(): the term '{term}' does not fit an operand of shape "
                f"{tuple(shape)} (one subscript per dim; '...' may stand for the rest)"
            )
        named.append(n)
    ell = _fresh(used, max(len(s) - n for s, n in zip(shapes, named)))
    terms = [
        t.replace("...", "".join(ell[len(ell) - (len(s) - n) :]))
        for t, s, n in zip(terms, shapes, named)
    ]
    if arrow:
        out = rhs.replace("...", "".join(ell))
        for c in out:
            if out.count(c) > 1:
                raise ShapeError(f"einsum(): output subscript {c} appears more than once")
            if not any(c in t for t in terms):
                raise ShapeError(
                    f"einsum(): output subscript {c} does not appear in any input term"
                )
    else:
        counts = "".join(terms)
        out = "".join(ell) + "".join(
            sorted(c for c in set(counts) if c not in ell and counts.count(c) == 1)
        )
    return terms, out, _sizes(terms, shapes)


def _sizes(terms, shapes):
    sizes = {}
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        own = {}
        for c, n in zip(term, shape):
            if own.setdefault(c, n) != n:
                raise ShapeError(
                    f"einsum(): subscript {c} is repeated in operand {k} with sizes "
                    f"{own[c]} and {n}; a repeated subscript takes a diagonal and needs equal sizes"
                )
            seen = sizes.setdefault(c, n)
            if n != seen and 1 not in (n, seen):
                raise ShapeError(
                    f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                    f"broadcast with previously seen size {seen}"
                )
            sizes[c] = max(n, seen) if 1 in (n, seen) else n
    return sizes


class Einsum(Function):
    def forward(self, *arrays, terms, out, sizes):
        self.terms, self.out, self.sizes = terms, out, sizes
        self.shapes = [a.shape for a in arrays]
        if any(self.needs_input_grad):
            self.save_for_backward(*arrays)
        spec = ",".join(terms) + "->" + out
        arrays = self._broadcast(arrays)
        xp = get_array_module(arrays[0])
        return xp.asarray(xp.einsum(spec, *arrays, optimize=len(arrays) > 1))

    def _broadcast(self, arrays):
        """Size-1 dims broadcast to their label's size (views: no copy)."""
        xp = get_array_module(arrays[0])
        full = [tuple(self.sizes[c] for c in t) for t in self.terms]
        return [a if a.shape == f else xp.broadcast_to(a, f) for a, f in zip(arrays, full)]

    def backward(self, g):
        return self._grads(g, self._broadcast(self.saved_tensors), _ArrayMath(g))

    def backward_tensors(self, g):
        """The same rule on Tensors, recorded, for create_graph: the saved operands take part
        as Tensors tied to the graph (expanded like forward's broadcasting)."""
        m = _TensorMath(g._data)
        full = [tuple(self.sizes[c] for c in t) for t in self.terms]
        operands = [
            saved_input(self, i, a) if a.shape == f else saved_input(self, i, a).expand(f)
            for i, (a, f) in enumerate(zip(self.saved_tensors, full))
        ]
        return self._grads(g, operands, m)

    def _grads(self, g, operands, m):
        return tuple(
            self._grad(k, g, operands, m) if need else None
            for k, need in enumerate(self.needs_input_grad)
        )

    def _grad(self, k, g, operands, m):
        term, sizes = self.terms[k], self.sizes
        others = [(t, a) for i, (t, a) in enumerate(zip(self.terms, operands)) if i != k]
        unique = "".join(dict.fromkeys(term))
        known = set(self.out).union(*[t for t, _ in others])
        kept = "".join(c for c in unique if c in known)
        spec = ",".join([self.out] + [t for t, _ in others]) + "->" + kept
        grad = m.einsum(spec, g, *[a for _, a in others])
        # labels only this operand has were summed away in forward: broadcast back along them
        missing = [i for i, c in enumerate(unique) if c not in known]
        if missing:
            grad = m.widen(grad, missing, tuple(sizes[c] for c in unique))
        if len(unique) < len(term):
            grad = _onto_diagonal(m, grad, unique, term, sizes)
        # undo the size-1 broadcasting of forward
        shape = self.shapes[k]
        axes = tuple(i for i, (c, n) in enumerate(zip(term, shape)) if n != sizes[c])
        return m.finish(m.sum_keep(grad, axes) if axes else grad)


class _ArrayMath:
    """The few operations the gradient needs, on raw arrays (the plain backward)."""

    def __init__(self, like):
        self.xp, self.dtype = get_array_module(like), like.dtype

    def einsum(self, spec, *operands):
        return self.xp.einsum(spec, *operands, optimize=len(operands) > 2)

    def widen(self, a, axes, full):
        return self.xp.broadcast_to(self.xp.expand_dims(a, tuple(axes)), full)

    def eye(self, n):
        return self.xp.eye(n, dtype=self.dtype)

    def sum_keep(self, a, axes):
        return a.sum(axis=axes, keepdims=True)

    def finish(self, a):
        return self.xp.asarray(a, dtype=self.dtype)


class _TensorMath(_ArrayMath):
    """The same operations on Tensors, recorded (create_graph)."""

    def einsum(self, spec, *operands):
        return einsum(spec, *operands)

    def widen(self, t, axes, full):
        shape = list(t.shape)
        for a in axes:  # ascending: each insert lands where the final shape has it
            shape.insert(a, 1)
        return t.reshape(shape).expand(full)

    def eye(self, n):
        return const(super().eye(n))

    def sum_keep(self, t, axes):
        return t.sum(axes, keepdim=True)

    def finish(self, t):
        return t


def _onto_diagonal(m, grad, unique, term, sizes):
    """`grad` over the distinct labels of `term`, placed on the diagonal of `term`'s shape: each
    repeat of a label gets a fresh letter tied to the first by an identity matrix."""
    used = set(term)
    spec, eyes, target = [unique], [], []
    for i, c in enumerate(term):
        if c in term[:i]:
            (f,) = _fresh(used, 1)
            spec.append(c + f)
            eyes.append(m.eye(sizes[c]))
            target.append(f)
        else:
            target.append(c)
    return m.einsum(",".join(spec) + "->" + "".join(target), grad, *eyes)


def einsum(equation, *operands):
    """Einstein summation: `einsum('ij,jk->ik', a, b)` is a @ b. Operands may also come as one
    list; '...' and an implicit output are supported, the sublist form is not."""
    Tensor = _tensor.Tensor
    if not isinstance(equation, str):
        raise TypeError(
            "einsum(): the sublist form einsum(op, [0, 1], ...) is not supported; write the "
            "equation as a string, e.g. einsum('ij,jk->ik', a, b)"
        )
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not all(isinstance(t, Tensor) for t in operands):
        raise TypeError("einsum(): expected one or more Tensor operands after the equation")
    dts = {t._data.dtype for t in operands}
    if len(dts) > 1:
        raise TypeError(
            f"einsum(): operands have different dtypes ({', '.join(sorted(map(str, dts)))}); "
            "convert them to one with .to(dtype)"
        )
    terms, out, sizes = _parse(equation, [t._data.shape for t in operands])
    return Einsum.apply(*operands, terms=terms, out=out, sizes=sizes)
