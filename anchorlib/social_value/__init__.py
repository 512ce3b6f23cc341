"""Social value: tender scoring and the weighting simulator (``tenders``), commitments monitoring
(``commitments``)."""
