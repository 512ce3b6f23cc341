"""ipywidgets apps (model + view, STYLE.md) that the Voila notebooks display."""

from __future__ import annotations

from .social_value import social_value_app

__all__ = ["social_value_app"]
