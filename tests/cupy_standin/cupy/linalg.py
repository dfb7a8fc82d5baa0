"""`cupy.linalg` for the stand-in: numpy.linalg's functions that CuPy also has."""

import numpy as _np

from cupy import _function

_NAMES = ("cholesky det eig eigh eigvals eigvalsh einsum inv lstsq matrix_power matrix_rank "
          "multi_dot norm pinv qr slogdet solve svd tensorinv tensorsolve").split()  # fmt: skip
for _name in _NAMES:
    if hasattr(_np.linalg, _name):
        globals()[_name] = _function(getattr(_np.linalg, _name), _name)
LinAlgError = _np.linalg.LinAlgError
