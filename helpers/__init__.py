"""Course helpers: data, plots, gradient checks, test checks, widgets and device set-up.

Notebooks and tests import the submodules they need, e.g. ``from helpers import testing``.
Importing the package itself does nothing else (no TensorFlow, no plotting state).
"""

__all__ = ["data", "device", "gradcheck", "plots", "testing", "widgets"]
