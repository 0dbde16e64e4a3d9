"""The package version, in its own module so that any layer can read it without importing
the public API (:mod:`nrsim`) that sits on top of every layer."""

__version__ = "0.1.0"
