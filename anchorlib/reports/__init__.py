"""What the report and analyst notebooks show, and the papermill batch.

``views`` (the batch reports' tables and charts), ``analyst_views`` (notebooks 01 and 04), ``text``
(the CLI's summary table) and ``batch`` (``anchorlib reports``: one report per anchor, the network
report and an index page).
"""
