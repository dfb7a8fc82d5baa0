"""Hand-written numpy training steps for the MLP and the LeNet: the yardstick for what numpy allows.

Everything an engine could do with numpy alone, and nothing it could not:

- every buffer (activations, im2col columns, gradients, masks) is allocated once, for one batch
  size, and every kernel writes into it with `out=`; a step allocates only a few (N,)-sized
  temporaries in the loss;
- parameters, gradients and momentum live in three flat float32 arenas (each parameter is a view
  into them), so the SGD-momentum update is four whole-arena ufunc calls with no temporaries, and
  gradients need no zeroing because every gradient kernel overwrites its view;
- a convolution is one strided copy into its im2col columns (N, C*kH*kW, OH*OW), whose inner runs
  are whole output rows, and one `matmul` call: numpy runs the per-sample products inside that one
  call. That beats one big (O, C*k*k) x (C*k*k, N*OH*OW) GEMM here: OpenBLAS threads the big one,
  which stalls when other work shares the cores, and is no faster single-threaded;
- the weight gradient is `cols @ gy^T` per sample, summed over the batch; the input gradient
  (col2im) adds one long run per plane and kernel offset: the output gradient is widened to the
  padded width, so an offset's block lands on one contiguous stretch of the flattened plane;
- max pooling (2x2, stride 2) is `np.maximum` over the four strided sub-grids, recording the
  winning sub-grid per window (uint8); its backward is a compare-and-write into each strided
  sub-grid. The preceding ReLU's backward is folded into it: one quarter-sized `out > 0` mask
  instead of a full-sized pass;
- the convolution and pooling kernels run over the batch in slices of about 2 MiB (a slice's
  columns stay in cache between the copy and the product), and with `threads` > 1 (default: the
  count numpy's BLAS uses, which PyTorch gets too) the threads take the slices in turn: numpy
  releases the GIL in these calls; BLAS runs one thread per call meanwhile;
- log-softmax and NLL are fused: the gradient is `softmax - onehot` written in place;
- float32 throughout: scalars are Python floats, which NumPy 2 treats as weak.

Layouts follow PyTorch: activations (N, C, H, W), conv weights (O, C, kH, kW), linear weights
(out, in). Parameter names are those of the equivalent `nn.Sequential` (`"0.weight"`, ...), so
`state_dict()` arrays load directly.

>>> net = NumpyLeNet(batch_size=64)
>>> loss = net.step(x, y)  # x (64, 1, 28, 28) float32, y (64,) int64
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import as_strided
from threadpoolctl import ThreadpoolController

from benchmarks.torch_ref import blas_threads

F32 = np.float32
SLICE_BYTES = 1 << 21  # a slice's working set
MIN_BYTES = 1 << 18  # per thread: less is not worth a hand-off


class _Slices:
    """Runs a per-sample kernel `fn(lo, hi)` over the batch [0, n) in slices of about
    SLICE_BYTES (`item_bytes` per sample), which the threads take in turn from a shared queue."""

    def __init__(self, n, threads):
        self.n, self.threads = n, max(1, threads)
        self.pool = ThreadPoolExecutor(self.threads - 1) if self.threads > 1 else None
        self.blas = ThreadpoolController() if self.threads > 1 else None

    def run(self, fn, item_bytes):
        n = self.n
        parts = max(1, min(self.threads, n, n * item_bytes // MIN_BYTES))
        count = max(1, -(-n * item_bytes // SLICE_BYTES))
        count = min(n, -(-count // parts) * parts)  # a multiple of the threads: balanced
        bounds = [n * i // count for i in range(count + 1)]
        todo = iter(zip(bounds[:-1], bounds[1:]))
        cond, busy, errors = threading.Condition(), [0], []

        def work():  # take slices until none are left
            while True:
                with cond:
                    item = next(todo, None)
                    if item is None:
                        return
                    busy[0] += 1
                try:
                    fn(*item)
                except BaseException as e:  # raised again in the calling thread
                    errors.append(e)
                finally:
                    with cond:
                        busy[0] -= 1
                        cond.notify_all()

        if parts == 1:
            work()
            return
        with self.blas.limit(limits=1, user_api="blas"):  # the two counts must not multiply
            for _ in range(parts - 1):
                self.pool.submit(work)
            work()
            with cond:  # only for slices in progress: a thread not yet started finds none left
                cond.wait_for(lambda: busy[0] == 0)
        if errors:
            raise errors[0]


class _Net:
    """Flat parameter/gradient/momentum arenas and the SGD step; subclasses add the layers."""

    SHAPES: tuple = ()  # ((name, shape), ...) in state_dict order

    def __init__(self, batch_size: int, params=None, lr=0.01, momentum=0.9, seed=0, threads=None):
        self.threads = blas_threads() if threads is None else threads
        sizes = [math.prod(shape) for _, shape in self.SHAPES]
        total = sum(sizes)
        self.flat = np.empty(total, F32)
        self.flat_grad = np.zeros(total, F32)
        self.flat_momentum = np.zeros(total, F32)
        self._scratch = np.empty(total, F32)
        self.params, self.grads = {}, {}
        offset = 0
        for (name, shape), n in zip(self.SHAPES, sizes):
            self.params[name] = self.flat[offset : offset + n].reshape(shape)
            self.grads[name] = self.flat_grad[offset : offset + n].reshape(shape)
            offset += n
        rng = np.random.default_rng(seed)
        for name, shape in self.SHAPES:
            if params is not None:
                value = np.asarray(params[name])
                if value.shape != shape:
                    raise ValueError(f"{name}: expected shape {shape}, got {value.shape}")
                np.copyto(self.params[name], value, casting="same_kind")
            else:  # PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases
                fan_in = math.prod(self.SHAPES[_weight_index(self.SHAPES, name)][1][1:])
                bound = 1 / math.sqrt(fan_in)
                self.params[name][...] = rng.uniform(-bound, bound, shape).astype(F32)
        self.batch_size, self.lr, self.momentum = int(batch_size), float(lr), float(momentum)
        n = self.batch_size
        self._z = np.empty((n, 10), F32)
        self._prob = np.empty((n, 10), F32)  # softmax, then the gradient of the loss
        self._row = np.empty(n, F32)
        self._alloc(n)

    def _alloc(self, n):
        raise NotImplementedError

    def forward_backward(self, x, y):
        """Loss (float32) of batch (x, y); the gradients are left in `self.grads`."""
        raise NotImplementedError

    def step(self, x, y):
        """One training step: forward, backward, SGD with momentum. Returns the loss."""
        loss = self.forward_backward(x, y)
        self.sgd_step()
        return loss

    def sgd_step(self):
        """PyTorch's SGD: buf = momentum * buf + grad; param -= lr * buf (buf starts at 0)."""
        buf = self.flat_momentum
        np.multiply(buf, self.momentum, out=buf)
        np.add(buf, self.flat_grad, out=buf)
        np.multiply(buf, self.lr, out=self._scratch)
        np.subtract(self.flat, self._scratch, out=self.flat)

    def state_dict(self) -> dict:
        return {name: p.copy() for name, p in self.params.items()}

    def buffer_bytes(self) -> int:
        """Bytes of every preallocated array (activations, columns, masks, arenas)."""
        return sum(a.nbytes for a in _arrays(self))

    def _check(self, x, y):
        if x.shape[0] != self.batch_size or x.dtype != F32:
            raise ValueError(
                f"{type(self).__name__}: built for float32 batches of {self.batch_size}, "
                f"got {x.dtype} {tuple(x.shape)}"
            )

    def _loss(self, z, y):
        """Fused log-softmax + NLL (mean); leaves d(loss)/dz in self._prob."""
        n, c = z.shape
        p, row = self._prob, self._row
        np.max(z, axis=1, out=row)
        np.subtract(z, row[:, None], out=p)  # shifted logits: exp cannot overflow
        flat_target = np.arange(n) * c + y
        picked = p.reshape(-1)[flat_target]
        np.exp(p, out=p)
        np.sum(p, axis=1, out=row)
        loss = (np.log(row) - picked).mean()
        p /= row[:, None]
        p.reshape(-1)[flat_target] -= 1
        p *= 1 / n
        return loss


def _weight_index(shapes, name):
    """Index of the weight belonging to parameter `name` (a bias uses its weight's fan-in)."""
    layer = name.rsplit(".", 1)[0]
    return next(i for i, (n, _) in enumerate(shapes) if n == f"{layer}.weight")


def _arrays(net):
    for value in vars(net).values():
        if isinstance(value, np.ndarray):
            yield value
        elif isinstance(value, (_Conv, _MaxPool2)):
            yield from (a for a in vars(value).values() if isinstance(a, np.ndarray))


# ---- kernels ------------------------------------------------------------------------------------


def _linear(x, w, b, out):
    np.matmul(x, w.T, out=out)
    out += b
    return out


def _linear_backward(g, x, w, gw, gb, gx=None):
    np.matmul(g.T, x, out=gw)
    np.sum(g, axis=0, out=gb)
    if gx is not None:
        np.matmul(g, w, out=gx)


def _relu_(a):
    np.maximum(a, 0, out=a)


def _relu_backward_(g, out, mask):
    np.greater(out, 0, out=mask)
    np.multiply(g, mask, out=g)


class _MaxPool2:
    """2x2 / stride 2 max pooling of (N, C, H, W) after a ReLU, with its buffers.

    The forward takes `np.maximum` over the four strided sub-grids and records which one won
    (a uint8 per window; strict `>` keeps the first of equal maxima, as PyTorch does). The
    backward writes the gradient into each sub-grid where it won: a compare on the small uint8
    array, not on the full-sized input. The preceding ReLU's backward is folded in: where the
    window's max is 0 the ReLU kills the gradient, so one mask on the pooled grid replaces a
    full-sized ReLU backward pass.
    """

    OFFSETS = ((0, 0), (0, 1), (1, 0), (1, 1))

    def __init__(self, n, c, h, w, slices):
        shape = (n, c, h // 2, w // 2)
        self.slices = slices
        self.out = np.empty(shape, F32)
        self.arg = np.empty(shape, np.uint8)
        self._won = np.empty(shape, bool)
        self._k = np.empty(shape, np.uint8)
        self._gpos = np.empty(shape, F32)

    def forward(self, a):
        self.slices.run(lambda lo, hi: self._forward(a[lo:hi], lo, hi), a[0].nbytes)
        return self.out

    def _forward(self, a, lo, hi):
        out, arg, won, k_won = self.out[lo:hi], self.arg[lo:hi], self._won[lo:hi], self._k[lo:hi]
        np.copyto(out, a[:, :, 0::2, 0::2])
        arg.fill(0)
        for k, (i, j) in enumerate(self.OFFSETS[1:], start=1):
            v = a[:, :, i::2, j::2]
            np.greater(v, out, out=won)
            np.maximum(out, v, out=out)
            np.multiply(won, np.uint8(k), out=k_won)
            np.maximum(arg, k_won, out=arg)  # winners' offsets only grow: the last one stays

    def relu_backward(self, g, ga):
        """Gradient w.r.t. the ReLU's input, written into `ga` (N, C, H, W)."""
        self.slices.run(lambda lo, hi: self._relu_backward(g, ga, lo, hi), ga[0].nbytes)
        return ga

    def _relu_backward(self, g, ga, lo, hi):
        won, gpos, arg = self._won[lo:hi], self._gpos[lo:hi], self.arg[lo:hi]
        np.greater(self.out[lo:hi], 0, out=won)
        np.multiply(g[lo:hi], won, out=gpos)
        for k, (i, j) in enumerate(self.OFFSETS):
            np.equal(arg, k, out=won)
            np.multiply(gpos, won, out=ga[lo:hi, :, i::2, j::2])


class _Conv:
    """Buffers and kernels of one stride-1 convolution with square kernel `k` and padding `pad`."""

    def __init__(self, n, c, h, w, o, k, pad, need_input_grad, slices):
        self.shape, self.k, self.pad, self.slices = (n, c, h, w), k, pad, slices
        hp, wp = h + 2 * pad, w + 2 * pad
        oh, ow = self.out_hw = (hp - k + 1, wp - k + 1)
        self.xpad = np.zeros((n, c, hp, wp), F32) if pad else None
        self.cols = np.empty((n, c * k * k, oh * ow), F32)
        self.y = np.empty((n, o, oh * ow), F32)
        self.gw_each = np.empty((n, c * k * k, o), F32)
        self.need_input_grad = need_input_grad
        if need_input_grad:
            # col2im on whole padded-width rows: the output gradient widened to wp columns
            # (the extra columns stay 0), and the input gradient's planes flattened with one
            # spare row, so each kernel offset is one long run per plane
            self.gy_wide = np.zeros((n, o, oh, wp), F32)
            self.gcols = np.empty((n, c * k * k, oh * wp), F32)
            self.gx = np.empty((n, c, (hp + 1) * wp), F32)

    def forward(self, x, w, b):
        """(N, O, OH*OW) = im2col(x), one strided copy, then one batched product."""
        self.slices.run(lambda lo, hi: self._forward(x, w, b, lo, hi), self.cols[0].nbytes)
        return self.y

    def _forward(self, x, w, b, lo, hi):
        n, (_, c, h, wd) = hi - lo, self.shape
        k, pad, (oh, ow) = self.k, self.pad, self.out_hw
        src = x[lo:hi]
        if pad:
            self.xpad[lo:hi, :, pad : pad + h, pad : pad + wd] = src
            src = self.xpad[lo:hi]
        sn, sc, sh, sw = src.strides
        windows = as_strided(src, (n, c, k, k, oh, ow), (sn, sc, sh, sw, sh, sw), writeable=False)
        np.copyto(self.cols[lo:hi].reshape(n, c, k, k, oh, ow), windows)
        y = self.y[lo:hi]
        np.matmul(w.reshape(w.shape[0], -1), self.cols[lo:hi], out=y)
        y += b[:, None]

    def backward(self, gy, w, gw, gb):
        """Weight and bias gradients; returns the input gradient if built for it."""
        per_sample = self.gcols[0].nbytes if self.need_input_grad else self.cols[0].nbytes
        self.slices.run(lambda lo, hi: self._backward(gy, w, lo, hi), per_sample)
        np.sum(self.gw_each, axis=0, out=gw.reshape(w.shape[0], -1).T)
        np.sum(gy, axis=(0, 2), out=gb)
        if not self.need_input_grad:
            return None
        _, _, h, wd = self.shape
        pad = self.pad
        return self.gx.reshape(*self.gx.shape[:2], -1, wd + 2 * pad)[
            :, :, pad : pad + h, pad : pad + wd
        ]

    def _backward(self, gy, w, lo, hi):
        # cols @ gy^T rather than gy @ cols^T: the same sums, faster in BLAS for these shapes
        gy = gy[lo:hi]
        np.matmul(self.cols[lo:hi], gy.transpose(0, 2, 1), out=self.gw_each[lo:hi])
        if not self.need_input_grad:
            return
        n, (_, c, _, wd) = hi - lo, self.shape
        k, pad, (oh, ow) = self.k, self.pad, self.out_hw
        o, wp = gy.shape[1], wd + 2 * pad
        self.gy_wide[lo:hi, ..., :ow] = gy.reshape(n, o, oh, ow)
        gcols = self.gcols[lo:hi]
        np.matmul(w.reshape(o, -1).T, self.gy_wide[lo:hi].reshape(n, o, -1), out=gcols)
        run = oh * wp
        blocks = gcols.reshape(n, c, k, k, run)
        gx = self.gx[lo:hi]
        gx.fill(0)
        for i in range(k):
            for j in range(k):  # col2im: one add of a whole run per plane and kernel offset
                start = i * wp + j
                gx[:, :, start : start + run] += blocks[:, :, i, j]


# ---- the networks -------------------------------------------------------------------------------


class NumpyMLP(_Net):
    """784-256-128-10 with ReLU; names match nn.Sequential(Flatten, Linear, ReLU, ...)."""

    SHAPES = (
        ("1.weight", (256, 784)), ("1.bias", (256,)),
        ("3.weight", (128, 256)), ("3.bias", (128,)),
        ("5.weight", (10, 128)), ("5.bias", (10,)),
    )  # fmt: skip

    def _alloc(self, n):
        self._h1, self._h2 = np.empty((n, 256), F32), np.empty((n, 128), F32)
        self._g1, self._g2 = np.empty((n, 256), F32), np.empty((n, 128), F32)
        self._m1, self._m2 = np.empty((n, 256), bool), np.empty((n, 128), bool)

    def forward_backward(self, x, y):
        self._check(x, y)
        p, g = self.params, self.grads
        x = x.reshape(self.batch_size, -1)
        _relu_(_linear(x, p["1.weight"], p["1.bias"], self._h1))
        _relu_(_linear(self._h1, p["3.weight"], p["3.bias"], self._h2))
        loss = self._loss(_linear(self._h2, p["5.weight"], p["5.bias"], self._z), y)
        _linear_backward(self._prob, self._h2, p["5.weight"], g["5.weight"], g["5.bias"], self._g2)
        _relu_backward_(self._g2, self._h2, self._m2)
        _linear_backward(self._g2, self._h1, p["3.weight"], g["3.weight"], g["3.bias"], self._g1)
        _relu_backward_(self._g1, self._h1, self._m1)
        _linear_backward(self._g1, x, p["1.weight"], g["1.weight"], g["1.bias"])
        return loss


class NumpyLeNet(_Net):
    """LeNet-5 for 28x28: conv(1->6, 5, pad 2) relu pool2, conv(6->16, 5) relu pool2, flatten,
    linear 400-120-84-10 with ReLU; names match the equivalent nn.Sequential."""

    SHAPES = (
        ("0.weight", (6, 1, 5, 5)), ("0.bias", (6,)),
        ("3.weight", (16, 6, 5, 5)), ("3.bias", (16,)),
        ("7.weight", (120, 400)), ("7.bias", (120,)),
        ("9.weight", (84, 120)), ("9.bias", (84,)),
        ("11.weight", (10, 84)), ("11.bias", (10,)),
    )  # fmt: skip

    def _alloc(self, n):
        slices = self._slices = _Slices(n, self.threads)
        self._conv1 = _Conv(n, 1, 28, 28, 6, 5, 2, need_input_grad=False, slices=slices)
        self._conv2 = _Conv(n, 6, 14, 14, 16, 5, 0, need_input_grad=True, slices=slices)
        self._pool1 = _MaxPool2(n, 6, 28, 28, slices)
        self._pool2 = _MaxPool2(n, 16, 10, 10, slices)
        self._h3, self._h4 = np.empty((n, 120), F32), np.empty((n, 84), F32)
        self._g3, self._g4 = np.empty((n, 120), F32), np.empty((n, 84), F32)
        self._m3, self._m4 = np.empty((n, 120), bool), np.empty((n, 84), bool)
        self._gp2 = np.empty((n, 400), F32)
        self._gy1, self._gy2 = np.empty((n, 6, 784), F32), np.empty((n, 16, 100), F32)

    def forward_backward(self, x, y):
        self._check(x, y)
        p, g, n = self.params, self.grads, self.batch_size
        y1 = self._conv1.forward(x, p["0.weight"], p["0.bias"])
        _relu_(y1)
        p1 = self._pool1.forward(y1.reshape(n, 6, 28, 28))
        y2 = self._conv2.forward(p1, p["3.weight"], p["3.bias"])
        _relu_(y2)
        flat = self._pool2.forward(y2.reshape(n, 16, 10, 10)).reshape(n, 400)
        _relu_(_linear(flat, p["7.weight"], p["7.bias"], self._h3))
        _relu_(_linear(self._h3, p["9.weight"], p["9.bias"], self._h4))
        loss = self._loss(_linear(self._h4, p["11.weight"], p["11.bias"], self._z), y)

        _linear_backward(
            self._prob, self._h4, p["11.weight"], g["11.weight"], g["11.bias"], self._g4
        )
        _relu_backward_(self._g4, self._h4, self._m4)
        _linear_backward(self._g4, self._h3, p["9.weight"], g["9.weight"], g["9.bias"], self._g3)
        _relu_backward_(self._g3, self._h3, self._m3)
        _linear_backward(self._g3, flat, p["7.weight"], g["7.weight"], g["7.bias"], self._gp2)
        gy2 = self._gy2.reshape(n, 16, 10, 10)
        self._pool2.relu_backward(self._gp2.reshape(n, 16, 5, 5), gy2)
        gp1 = self._conv2.backward(self._gy2, p["3.weight"], g["3.weight"], g["3.bias"])
        self._pool1.relu_backward(gp1, self._gy1.reshape(n, 6, 28, 28))
        self._conv1.backward(self._gy1, p["0.weight"], g["0.weight"], g["0.bias"])
        return loss
