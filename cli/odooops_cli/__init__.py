"""odooops: the command line of the OdooOps control plane. It speaks only HTTP."""
__version__ = "0.1.0"
