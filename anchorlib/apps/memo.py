"""A small cache of an app's results per choice (apps/common.py)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable


class Memo:
    """Results of a model's computations per choice key, the ``size`` most recent kept, so going back
    to an earlier choice (an area, a slider position) shows its figures without computing them again."""

    def __init__(self, size: int = 64):
        self.size, self.items = size, OrderedDict()

    def get(self, key: Hashable, fn: Callable):
        if key in self.items:
            self.items.move_to_end(key)
        else:
            self.items[key] = fn()
            if len(self.items) > self.size:
                self.items.popitem(last=False)
        return self.items[key]
