"""The one shape every results object speaks.

Every estimator in clusterecon returns an object derived from :class:`Results`.  Reporting code (tables, figures,
the maketables plug-in) consumes these objects through the methods defined here and nothing else:

* ``to_frame()`` -- a tidy :class:`pandas.DataFrame`, one row per estimated quantity, with at least the columns
  ``term, estimate, std_error`` and, where defined, ``statistic, p_value, ci_low, ci_high`` (extra columns such as
  ``group``, ``time``, ``event_time`` or ``df`` may follow);
* ``summary()`` -- a plain-text report: a title, the table and notes (method, inference, caveats);
* ``plot()`` -- where a picture fits (event studies, synthetic paths), returning a matplotlib ``Axes``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["Results", "TIDY_COLUMNS"]

TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high")


class Results:
    """Base class: subclasses implement :meth:`to_frame` and may override :attr:`title` and :meth:`notes`."""

    title: str = "Estimates"

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def notes(self) -> list[str]:
        """Lines printed under the table by :meth:`summary`: method, inference, caveats."""
        return []

    def summary(self, digits: int = 4) -> str:
        """Plain-text report of the estimates."""
        frame = self.to_frame()
        with pd.option_context("display.width", 160, "display.max_columns", 30, "display.max_rows", 500):
            body = frame.to_string(index=False, float_format=lambda v: f"{v:.{digits}f}")
        rule = "=" * max(len(self.title), min(max((len(line) for line in body.splitlines()), default=0), 120))
        parts = [self.title, rule, body]
        notes = self.notes()
        if notes:
            parts.append("-" * len(rule))
            parts.extend(notes)
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        notes = "".join(f"<br><small>{n}</small>" for n in self.notes())
        return f"<b>{self.title}</b>{frame.to_html(index=False, float_format=lambda v: f'{v:.4f}')}{notes}"

    def plot(self, ax: Any = None, **kwargs: Any):  # pragma: no cover - overridden where it fits
        raise NotImplementedError(f"{type(self).__name__} has no plot()")
