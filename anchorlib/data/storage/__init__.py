"""What is stored beside a dataset: the spend cache and keys (``cache``), memory-mapped frames
(``mapped``), the small tables (``tables``) and stored command results (``results``)."""
