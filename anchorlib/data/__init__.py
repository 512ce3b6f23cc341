"""The data layer: a dataset folder's files -> validated tables and the joined payments.

``dataset`` (the folder contract, ``open_dataset``), ``ingest`` (spend files as published), ``places``
(postcode -> LSOA -> LAD -> IMD, areas), ``suppliers`` (payee names -> the supplier register),
``addressable`` (the rule set), ``payments`` (the join), ``rollup`` (payments summed to what a figure
reads) and ``storage`` (the caches beside a dataset). Nothing here imports a layer above it.
"""
