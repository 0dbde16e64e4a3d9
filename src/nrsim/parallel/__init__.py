"""Parallel execution: chunk tasks, the serial and Dask backends, the resumable run loop."""

from nrsim.parallel.backends import DaskBackend, SerialBackend, make_backend
from nrsim.parallel.runner import DEFAULT_CHUNK_UES, execute

__all__ = ["DEFAULT_CHUNK_UES", "DaskBackend", "SerialBackend", "execute", "make_backend"]
