"""The roster pipeline, one module per stage, in the order a file goes through them.

1. ``read``: decode the CSV and check each row on its own (the contract other tools rely on);
2. ``lookups``: prefetch the reference data a batch of rows names (no per-row query);
3. ``change`` and ``plan``: the wanted state of each listing and what would change;
4. ``apply``: write a plan through the provider and clinic operations (dry run or all);
5. ``jobs``: previews kept in the database and the background job that applies one;
6. ``undo``: put back what an applied import changed, unless edited since.

``export`` writes the directory back out in the same format.
"""
