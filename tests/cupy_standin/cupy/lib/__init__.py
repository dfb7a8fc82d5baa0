"""`cupy.lib` for the stand-in."""

from cupy.lib import stride_tricks
