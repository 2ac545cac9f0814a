"""AudioLasso: text-prompted audio separation behind an asynchronous queue API."""

__version__ = "0.1.0"
