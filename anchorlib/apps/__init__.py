"""The Voila apps (model + view) that the workshop notebooks display, and ``anchorlib serve``.

``from anchorlib import apps; apps.leakage(...)``. Each app is imported on first use, so that
``anchorlib serve`` (``apps.serve``) and the chart bundle (``apps.chart_bundle``) start without
importing every app, pandas and Altair.
"""

from __future__ import annotations

__all__ = ["equity", "leakage", "network", "register_review", "social_value_app", "what_if"]


def __getattr__(name: str):
    if name == "leakage":
        from anchorlib.apps.leakage_explorer import leakage as app
    elif name == "equity":
        from anchorlib.apps.equity_gaps import equity as app
    elif name == "what_if":
        from anchorlib.apps.what_if_shift import what_if as app
    elif name == "network":
        from anchorlib.apps.network_overview import network as app
    elif name == "register_review":
        from anchorlib.apps.register_review import register_review as app
    elif name == "social_value_app":
        from anchorlib.apps.social_value import social_value_app as app
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = app
    return app
