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

    # -- maketables plug-in --------------------------------------------------------------------------------------
    # maketables (the regression-table library used with statsmodels, linearmodels and pyfixest) recognises any
    # object with these attributes; no import of maketables is needed here.  Subclasses override ``model_stats``,
    # ``depvar``, ``fixef_string`` and ``vcov_name`` to fill the table's bottom rows.

    depvar: str = ""
    fixef_string: str | None = None
    vcov_name: str | None = None

    def model_stats(self) -> dict[str, Any]:
        """Scalar statistics shown under a regression table (keys as maketables names them: N, r2, ...)."""
        return {}

    @property
    def __maketables_coef_table__(self) -> pd.DataFrame:
        frame = self.to_frame()
        table = pd.DataFrame(
            {
                "b": frame["estimate"].to_numpy(),
                "se": frame["std_error"].to_numpy(),
                "t": frame["statistic"].to_numpy() if "statistic" in frame else frame["estimate"] / frame["std_error"],
                "p": frame["p_value"].to_numpy() if "p_value" in frame else float("nan"),
            },
            index=pd.Index(frame["term"].astype(str).to_numpy(), name="Coefficient"),
        )
        if {"ci_low", "ci_high"} <= set(frame.columns):
            table["ci95l"] = frame["ci_low"].to_numpy()
            table["ci95u"] = frame["ci_high"].to_numpy()
        return table

    @property
    def __maketables_depvar__(self) -> str:
        return self.depvar or "Dependent variable"

    @property
    def __maketables_fixef_string__(self) -> str | None:
        return self.fixef_string

    @property
    def __maketables_vcov_info__(self) -> dict[str, Any]:
        return {"vcov_type": self.vcov_name, "clustervar": None}

    @property
    def __maketables_default_stat_keys__(self) -> list[str]:
        return list(self.model_stats())

    def __maketables_stat__(self, key: str) -> Any:
        return self.model_stats().get(key)
