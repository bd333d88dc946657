"""The NPPES registry: reading its file, importing listings from it, and checking ours.

* ``nppes``: read the monthly Data Dissemination file (streamed, never held whole);
* ``nppes_import``: the registry's rows become roster rows for the roster pipeline;
* ``reconcile``: compare every listing that has an NPI with the file, as findings;
* ``findings``: staff act on a finding (Accept applies the registry's value, Dismiss keeps ours).
"""
