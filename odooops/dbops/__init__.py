"""What makes a copy of an Odoo database safe to use: run it without sending mail or
calling payment providers (``neutralize``), give it its own identity (``identity``),
replace personal data by fakes (``anonymize``, with ``fakes`` for the values) and
prove that none of the originals survived (``verify``).

Plain SQL through ``odooops.drivers.postgres.Server``; never imports odoo.
"""
