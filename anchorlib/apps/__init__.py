"""ipywidgets apps (model + view, STYLE.md) that the Voila notebooks display."""

from __future__ import annotations

from .equity import equity
from .leakage import leakage
from .network import network
from .social_value import social_value_app
from .what_if import what_if

__all__ = ["equity", "leakage", "network", "social_value_app", "what_if"]
