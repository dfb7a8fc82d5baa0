"""`cupyx.scipy` for the stand-in."""

from cupyx.scipy import special
