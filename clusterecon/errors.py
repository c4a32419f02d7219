"""The package's exception and warning hierarchy.

Every error a user can provoke with bad input is a :class:`ClusterEconError`, so callers can catch the package's
errors as one family.  The subclasses say which kind of thing went wrong:

* :class:`DataError` -- the data handed in (a file, a DataFrame, a facts table) is malformed.  :class:`ParseError`
  adds the file, line and column at fault; :class:`SchemaError` the row and column; :class:`DownloadError` a
  failed or corrupted download.
* :class:`SpecificationError` -- the request itself is inconsistent (a formula naming a missing column, a treatment
  time outside the panel, an unknown option).
* :class:`EstimationError` -- the data are fine and the request is well posed, but the estimator cannot proceed
  (collinear regressors, a cell with no valid controls, an optimiser that fails).

The data errors also derive from :class:`ValueError` and the estimation errors from :class:`RuntimeError`, so code
written against the standard exceptions keeps working.
"""

from __future__ import annotations

__all__ = [
    "ClusterEconError",
    "DataError",
    "ParseError",
    "SchemaError",
    "DownloadError",
    "SpecificationError",
    "EstimationError",
    "OutputError",
    "ClusterEconWarning",
    "FewClustersWarning",
    "DataWarning",
]


class ClusterEconError(Exception):
    """Base class of every error raised on purpose by clusterecon."""


class DataError(ClusterEconError, ValueError):
    """The data passed in are malformed or inconsistent."""


class ParseError(DataError):
    """A file could not be parsed.  The message names the file, the line and (where known) the column."""

    def __init__(self, message: str, *, path: object = None, line: int | None = None, column: str | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        where = []
        if self.path is not None:
            where.append(f"file {self.path}")
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class SchemaError(DataError):
    """A table failed validation.  The message names the row(s) and column(s) at fault."""


class DownloadError(DataError):
    """A download failed, was cut off, or did not match its checksum.  The cache is left untouched."""


class SpecificationError(ClusterEconError, ValueError):
    """The model or the call is mis-specified (unknown column, bad option, impossible timing)."""


class EstimationError(ClusterEconError, RuntimeError):
    """The estimator cannot proceed on these data (collinearity, empty cells, no convergence)."""


class OutputError(ClusterEconError, OSError):
    """An output could not be written (unwritable directory, disk full).  Nothing half-written is left behind."""


class ClusterEconWarning(UserWarning):
    """Base class of clusterecon's warnings."""


class FewClustersWarning(ClusterEconWarning):
    """Cluster-robust inference with few clusters: prefer CR2 with Satterthwaite df or the wild cluster bootstrap."""


class DataWarning(ClusterEconWarning):
    """Something was dropped or changed in the data on the way in; the message says what and why."""
