"""`cupy.fft` for the stand-in."""

import numpy as _np

from cupy import _function

for _name in "fft ifft fft2 ifft2 fftn ifftn rfft irfft rfftn irfftn fftfreq rfftfreq".split():
    globals()[_name] = _function(getattr(_np.fft, _name), _name)
