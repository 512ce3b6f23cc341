"""ipywidgets apps (model + view, STYLE.md) that the Voila notebooks display."""

from __future__ import annotations

from .leakage import leakage
from .network import network
from .social_value import social_value_app

__all__ = ["leakage", "network", "social_value_app"]
