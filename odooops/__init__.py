"""OdooOps engine: drivers and domain logic, plain Python.

The control plane's Odoo addons call into this package; it never imports odoo.
"""
__version__ = "0.1.0"
