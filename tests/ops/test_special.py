"""erf, the special function behind the exact GELU: against math.erf in float64 and float32."""

import math

import numpy as np

from gradcli.ops.special import erf


def test_erf_is_accurate_in_float64_and_float32():
    x = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 1e-300, -1e-9, 2.0, 6.0, 40.0]])
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), ref, rtol=1e-14, atol=1e-15)
    out32 = erf(x.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, ref, rtol=1e-6, atol=2e-7)
    assert np.isnan(erf(np.array([np.nan]))).all()
    np.testing.assert_array_equal(erf(np.array([np.inf, -np.inf])), [1.0, -1.0])
