"""The numpy core: no Qt, no file I/O, no threads, no printing."""

from .network import INITS, Network, one_hot

__all__ = ["INITS", "Network", "one_hot"]
