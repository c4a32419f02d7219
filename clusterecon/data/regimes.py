"""Governance-regime timelines of clusters: dated events and regimes, with the evidence for each.

A *timeline* describes how a cluster's production was coordinated over time.  It has two layers:

* **events** -- dated happenings (a state agency is created, a law is passed, a multinational buys a firm, producer
  groups are formed), each with the actors, a type, the regime in force before and after it, and the evidence: a
  verbatim quote and its location in the source;
* **regimes** -- spells during which one governance regime was in force in one *arena* (a set of relations, e.g.
  the state and firms, or processors and their suppliers), with start and end years and the evidence (events of the
  same file or quotes).

Timelines are YAML files, one per cluster.  The package ships the two clusters of Perez-Aleman's paper
(``chile_tomato``, ``nicaragua_dairy``) in ``data/regimes/`` at the repository root; users write their own in the
same format (documented in ``data/regimes/README.md`` and below) and load them by path.  Every file is validated on
load; a malformed file raises :class:`~clusterecon.errors.ParseError` (YAML syntax, with the line) or
:class:`~clusterecon.errors.SchemaError` (content), and the message names the file, the entry and the field.

Regime vocabulary
-----------------
Regimes come from a controlled vocabulary (:data:`REGIME_VOCABULARY`), drawn from the paper's own contrasts
("cooperative monitoring, rather than arm's length or hierarchy", section 4; "state-promoted, but self-coordinated
groups", section 4).  A file may add regimes of its own under ``extra_regimes`` (name: definition); anything else is
an error, so a typo cannot create a new regime silently.

Dates
-----
Sources are often vague ("during the late 1960s and 1970s", "over the last decade").  Every date therefore carries a
precision flag and an interval ``[start, end]`` of years consistent with the text:

=============== ===================================================================================
``year``        the source states the year (``start == end == year``)
``range``       the source states a span ("1981-82")
``approximate`` a vague phrase ("late 1960s" -> 1966-1969, "post-1982" -> 1983-...), or bounds inferred
                from the text; the file's ``note`` says how the bounds were read
``decade``      a decade-level phrase ("in the 1970s", "over the last decade")
=============== ===================================================================================

``year`` is the point used by default when a single period is needed (e.g. a treatment date); when omitted it is
``start``, the earliest year consistent with the text.  :func:`clusterecon.panel.regimes.timeline_treatment` can use
``start`` or ``end`` instead, for sensitivity analysis.

Example
-------
>>> from clusterecon.data.regimes import load_timeline
>>> chile = load_timeline("chile_tomato")
>>> chile.event("chile_prochile_created").date.year
1975
>>> chile.regime_in_force(1990, arena="processor_supplier")
'cooperative_monitoring'
>>> sorted(chile.events_frame().columns[:4])
['arena', 'cluster', 'id', 'year']
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import ParseError, SchemaError, SpecificationError

__all__ = [
    "REGIME_VOCABULARY",
    "EVENT_TYPES",
    "DATE_PRECISIONS",
    "DateSpec",
    "Evidence",
    "Event",
    "Regime",
    "Timeline",
    "default_directory",
    "available_timelines",
    "load_timeline",
    "load_timelines",
    "timeline_from_dict",
    "events_frame",
    "regimes_frame",
]

SCHEMA_VERSION = 1

#: Governance regimes: name -> definition.  See ``data/regimes/README.md`` for the evidence behind each.
REGIME_VOCABULARY: dict[str, str] = {
    "arms_length": (
        "Exchange at arm's length through the market: spot or lowest-bid purchases, buyers playing suppliers off "
        "against one another on price, quality checked only on receipt (accept or reject, penalties), no joint "
        "problem solving."
    ),
    "hierarchical": (
        "Coordination by authority: vertical integration, or a dominant firm or bureaucracy directing suppliers' "
        "production.  The paper names it as the alternative neither of its clusters took."
    ),
    "state_led_promotion": (
        "The state initiates, finances and steers upgrading: state-financed projects, state investment in plants, "
        "technology transfer and grants administered by state agencies."
    ),
    "state_promoted_self_coordination": (
        "The state convenes and co-finances groups of firms that set their own goals and coordinate themselves "
        "(the paper's 'state-promoted, but self-coordinated groups', e.g. PROCHILE's export committees)."
    ),
    "cooperative_monitoring": (
        "Buyers, suppliers and their associations coordinate by joint problem solving and continuous monitoring "
        "of performance (learning-by-monitoring): prices agreed in advance, quality control at every step, "
        "technical assistance, group-based self-monitoring."
    ),
}

#: Event types: name -> definition.
EVENT_TYPES: dict[str, str] = {
    "state_program": "a state agency's programme or projects",
    "agency_creation": "a public agency is created",
    "policy_reform": "a change of economic policy or of the state's relations with firms",
    "macro_shock": "an economy-wide crisis or shock",
    "trade_regulation": "a law or rule governing trade (standards, bans, tariffs)",
    "foreign_investment": "entry or acquisition by a foreign firm",
    "market_entry": "entry of firms into the cluster's industry",
    "technology_adoption": "adoption of a new technology (varieties, equipment, processes)",
    "coordination_change": "buyers, suppliers or producers change how they coordinate production",
    "contracting": "a change in contracts between buyers and suppliers",
    "technical_assistance": "buyers or agencies assisting and monitoring producers' practices",
    "producer_organisation": "producers organise into groups, cooperatives or associations",
    "association_reform": "an existing association is reorganised or a federation formed",
    "infrastructure": "shared facilities are built (reception plants, laboratories)",
    "program_failure": "a programme fails or is abandoned",
    "other": "none of the above; say what in the note",
}

#: Date precision flags: name -> meaning.
DATE_PRECISIONS: dict[str, str] = {
    "year": "the source states the year",
    "range": "the source states a span of years",
    "approximate": "a vague phrase or bounds inferred from the text; the note says how",
    "decade": "a decade-level phrase",
}

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = {
    "schema_version",
    "cluster",
    "name",
    "country",
    "sector",
    "source",
    "note",
    "arenas",
    "events",
    "regimes",
    "extra_regimes",
    "extra_event_types",
}
_EVENT_KEYS = {
    "id",
    "cluster",
    "arena",
    "date",
    "actors",
    "type",
    "regime_before",
    "regime_after",
    "quote",
    "location",
    "evidence",
    "note",
}
_EVENT_REQUIRED = _EVENT_KEYS - {"evidence", "note"}
_REGIME_KEYS = {"id", "cluster", "arena", "regime", "start", "end", "evidence", "note"}
_REGIME_REQUIRED = _REGIME_KEYS - {"note"}


# --------------------------------------------------------------------------------------------------------------
# typed objects
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DateSpec:
    """A possibly vague date: the interval ``[start, end]`` of years consistent with the source, a point ``year``
    inside it (the default when one period is needed) and a ``precision`` flag (see :data:`DATE_PRECISIONS`)."""

    year: int
    start: int
    end: int
    precision: str

    def pick(self, which: str = "year") -> int:
        """The year to use: ``"year"`` (the point), ``"start"`` or ``"end"`` of the interval."""
        if which not in ("year", "start", "end"):
            raise SpecificationError(f"date choice must be 'year', 'start' or 'end', got {which!r}")
        return int(getattr(self, which))


@dataclass(frozen=True)
class Evidence:
    """A verbatim quote from the source and where it is (e.g. ``"section 4, paragraph 7, footnote 3"``)."""

    quote: str
    location: str


@dataclass(frozen=True)
class Event:
    """A dated governance event of one cluster (see the module docstring for the fields' meaning)."""

    id: str
    cluster: str
    arena: str
    date: DateSpec
    actors: tuple[str, ...]
    type: str
    regime_before: str | None
    regime_after: str | None
    quote: str
    location: str
    more_evidence: tuple[Evidence, ...] = ()
    note: str | None = None

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """The main quote first, then any further evidence."""
        return (Evidence(self.quote, self.location), *self.more_evidence)

    @property
    def is_transition(self) -> bool:
        """True when the event moves its arena from one regime to another (or starts a regime)."""
        return self.regime_after is not None and self.regime_before != self.regime_after


@dataclass(frozen=True)
class Regime:
    """A spell of one regime in one arena: in force in the years ``start`` to ``end`` inclusive.

    ``start=None`` means in force since before the timeline's first dated event (left-censored); ``end=None``
    means still in force when the source was written.
    """

    id: str
    cluster: str
    arena: str
    regime: str
    start: int | None
    end: int | None
    event_ids: tuple[str, ...] = ()
    quotes: tuple[Evidence, ...] = ()
    note: str | None = None

    def covers(self, year: int) -> bool:
        """Whether the regime is in force in ``year``."""
        return (self.start is None or self.start <= year) and (self.end is None or year <= self.end)


@dataclass(frozen=True)
class Timeline:
    """The validated timeline of one cluster.  Build it with :func:`load_timeline` or :func:`timeline_from_dict`."""

    cluster: str
    events: tuple[Event, ...]
    regimes: tuple[Regime, ...] = ()
    arenas: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    country: str | None = None
    sector: str | None = None
    source: str | None = None
    note: str | None = None
    vocabulary: Mapping[str, str] = field(default_factory=lambda: dict(REGIME_VOCABULARY))
    origin: str = "<dict>"

    def __repr__(self) -> str:
        return (
            f"Timeline(cluster={self.cluster!r}, events={len(self.events)}, regimes={len(self.regimes)}, "
            f"arenas={list(self.arenas)}, origin={self.origin!r})"
        )

    # -- look-ups ------------------------------------------------------------------------------------------------
    def event(self, event_id: str) -> Event:
        """The event with this id; :class:`SpecificationError` listing the ids when there is none."""
        for ev in self.events:
            if ev.id == event_id:
                return ev
        raise SpecificationError(
            f"timeline {self.cluster!r} ({self.origin}) has no event {event_id!r}; events: "
            f"{', '.join(e.id for e in self.events)}"
        )

    def resolve_arena(self, arena: str | None) -> str:
        """``arena`` checked against the file's arenas; ``None`` is allowed when the timeline has only one."""
        if arena is None:
            used = sorted({r.arena for r in self.regimes}) or sorted(self.arenas)
            if len(used) != 1:
                raise SpecificationError(
                    f"timeline {self.cluster!r} has several arenas ({', '.join(used)}); pass arena= to choose one"
                )
            return used[0]
        if arena not in self.arenas:
            raise SpecificationError(
                f"timeline {self.cluster!r} has no arena {arena!r}; arenas: {', '.join(self.arenas)}"
            )
        return arena

    def spells(self, arena: str | None = None) -> tuple[Regime, ...]:
        """The regime spells of one arena, in time order."""
        arena = self.resolve_arena(arena)
        return tuple(sorted((r for r in self.regimes if r.arena == arena), key=_spell_key))

    def regime_in_force(self, year: int, arena: str | None = None) -> str | None:
        """The regime in force in ``year`` in ``arena`` (``None`` when the timeline has none for that year)."""
        for spell in self.spells(arena):
            if spell.covers(year):
                return spell.regime
        return None

    def adoption_year(
        self,
        *,
        event: str | None = None,
        regime: str | None = None,
        arena: str | None = None,
        date: str = "year",
    ) -> int:
        """The first treated period implied by an event (its date, ``date`` = year/start/end) or by a regime (the
        start of its first spell in ``arena``).

        >>> load_timeline("nicaragua_dairy").adoption_year(event="nic_el_salvador_pasteurisation_law")
        1998
        >>> load_timeline("chile_tomato").adoption_year(regime="cooperative_monitoring", arena="processor_supplier")
        1985
        """
        if (event is None) == (regime is None):
            raise SpecificationError("give exactly one of event= or regime=")
        if event is not None:
            return self.event(event).date.pick(date)
        spells = [s for s in self.spells(arena) if s.regime == regime]
        if not spells:
            raise SpecificationError(
                f"timeline {self.cluster!r} has no spell of regime {regime!r} in arena {self.resolve_arena(arena)!r}"
            )
        if spells[0].start is None:
            raise SpecificationError(
                f"regime {regime!r} of timeline {self.cluster!r} starts before the timeline (start: null), so its "
                "first treated period is unknown"
            )
        return int(spells[0].start)

    # -- frames --------------------------------------------------------------------------------------------------
    def events_frame(self) -> pd.DataFrame:
        """One row per event: cluster, id, arena, year, start, end, precision, type, actors (``; ``-joined),
        regime_before, regime_after, quote, location, n_evidence, note."""
        rows = [
            {
                "cluster": e.cluster,
                "id": e.id,
                "arena": e.arena,
                "year": e.date.year,
                "start": e.date.start,
                "end": e.date.end,
                "precision": e.date.precision,
                "type": e.type,
                "actors": "; ".join(e.actors),
                "regime_before": e.regime_before,
                "regime_after": e.regime_after,
                "quote": e.quote,
                "location": e.location,
                "n_evidence": len(e.evidence),
                "note": e.note,
            }
            for e in self.events
        ]
        frame = pd.DataFrame(rows, columns=_EVENT_COLUMNS)
        return frame.astype({"year": "int64", "start": "int64", "end": "int64", "n_evidence": "int64"})

    def regimes_frame(self) -> pd.DataFrame:
        """One row per regime spell: cluster, id, arena, regime, start, end (nullable ``Int64``; missing = open),
        evidence (event ids, ``; ``-joined), n_quotes, note."""
        rows = [
            {
                "cluster": r.cluster,
                "id": r.id,
                "arena": r.arena,
                "regime": r.regime,
                "start": r.start,
                "end": r.end,
                "evidence": "; ".join(r.event_ids),
                "n_quotes": len(r.quotes),
                "note": r.note,
            }
            for r in sorted(self.regimes, key=lambda r: (r.arena, _spell_key(r)))
        ]
        frame = pd.DataFrame(rows, columns=_REGIME_COLUMNS)
        return frame.astype({"start": "Int64", "end": "Int64", "n_quotes": "int64"})


_EVENT_COLUMNS = [
    "cluster",
    "id",
    "arena",
    "year",
    "start",
    "end",
    "precision",
    "type",
    "actors",
    "regime_before",
    "regime_after",
    "quote",
    "location",
    "n_evidence",
    "note",
]
_REGIME_COLUMNS = ["cluster", "id", "arena", "regime", "start", "end", "evidence", "n_quotes", "note"]


def _spell_key(r: Regime) -> tuple[int, int]:
    return (-(10**9) if r.start is None else r.start, 10**9 if r.end is None else r.end)


# --------------------------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------------------------
def default_directory() -> Path:
    """The directory of the packaged timelines: ``data/regimes`` at the repository root."""
    from .._paths import data_dir

    return data_dir() / "regimes"


def available_timelines(directory: str | os.PathLike[str] | None = None) -> list[str]:
    """Names (file stems) of the timelines in ``directory`` (default: the packaged ones), sorted.

    >>> available_timelines()
    ['chile_tomato', 'nicaragua_dairy']
    """
    d = Path(directory) if directory is not None else default_directory()
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.glob("*.yaml"))


def load_timeline(source: str | os.PathLike[str]) -> Timeline:
    """Load and validate one timeline.

    Parameters
    ----------
    source
        A path to a YAML file, or the name of a packaged timeline (``"chile_tomato"``, ``"nicaragua_dairy"``).

    Raises
    ------
    ParseError
        The file is missing, unreadable or not valid YAML (the message gives the file and line).
    SchemaError
        The content breaks the schema (the message gives the file, the entry and the field).

    Examples
    --------
    >>> import tempfile, textwrap, pathlib
    >>> text = textwrap.dedent('''
    ...     cluster: my_cluster
    ...     arenas: {buyer_supplier: relations between a buyer and its growers}
    ...     events:
    ...       - id: contracts_signed
    ...         cluster: my_cluster
    ...         arena: buyer_supplier
    ...         date: {year: 2004, precision: year}
    ...         actors: [the buyer]
    ...         type: contracting
    ...         regime_before: arms_length
    ...         regime_after: cooperative_monitoring
    ...         quote: "In 2004 the buyer signed yearly contracts."
    ...         location: "interview notes, p. 3"
    ... ''')
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "my_cluster.yaml"
    >>> _ = path.write_text(text)
    >>> tl = load_timeline(path)
    >>> tl.event("contracts_signed").date
    DateSpec(year=2004, start=2004, end=2004, precision='year')
    """
    path = Path(source)
    if not path.suffix and not path.exists() and _ID.match(str(source)):
        packaged = default_directory() / f"{source}.yaml"
        if not packaged.is_file():
            raise ParseError(
                f"no packaged timeline named {str(source)!r}; available: {', '.join(available_timelines()) or 'none'}",
                path=packaged,
            )
        path = packaged
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParseError("timeline file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"cannot read timeline file: {exc}", path=path) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParseError(f"invalid YAML: {problem}", path=path, line=line) from exc
    return timeline_from_dict(data, origin=str(path))


def load_timelines(directory: str | os.PathLike[str] | None = None) -> dict[str, Timeline]:
    """All timelines of a directory (default: the packaged ones), keyed by cluster."""
    d = Path(directory) if directory is not None else default_directory()
    out: dict[str, Timeline] = {}
    for stem in available_timelines(d):
        tl = load_timeline(d / f"{stem}.yaml")
        if tl.cluster in out:
            raise SchemaError(f"{d}: cluster {tl.cluster!r} is defined by two files")
        out[tl.cluster] = tl
    return out


def events_frame(timelines: Timeline | Iterable[Timeline] | None = None) -> pd.DataFrame:
    """The events of one or several timelines (default: all packaged ones) in one frame."""
    return _concat(timelines, "events_frame", _EVENT_COLUMNS)


def regimes_frame(timelines: Timeline | Iterable[Timeline] | None = None) -> pd.DataFrame:
    """The regime spells of one or several timelines (default: all packaged ones) in one frame."""
    return _concat(timelines, "regimes_frame", _REGIME_COLUMNS)


def _concat(timelines, method: str, columns: list[str]) -> pd.DataFrame:
    if timelines is None:
        timelines = load_timelines().values()
    elif isinstance(timelines, Timeline):
        timelines = [timelines]
    frames = [getattr(t, method)() for t in timelines]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------------------------
class _Checker:
    """Collects the file name and the entry under check so every error names file, entry and field."""

    def __init__(self, origin: str):
        self.origin = origin

    def fail(self, where: str, field_name: str | None, message: str) -> SchemaError:
        parts = [self.origin, where] + ([f"field {field_name!r}"] if field_name else [])
        return SchemaError(f"{': '.join(parts)}: {message}")

    def string(
        self, value: Any, where: str, name: str, *, ident: bool = False, optional: bool = False
    ) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, name, f"expected a non-empty string, got {value!r}")
        if ident and not _ID.match(value):
            raise self.fail(where, name, f"{value!r} is not a lower-case identifier (letters, digits, _)")
        return value

    def year(self, value: Any, where: str, name: str, *, optional: bool = False) -> int | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, name, f"expected an integer year, got {value!r}")
        return int(value)

    def keys(self, entry: Any, where: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(entry, dict):
            raise self.fail(where, None, f"expected a mapping, got {type(entry).__name__}")
        unknown = sorted(set(map(str, entry)) - allowed)
        if unknown:
            raise self.fail(where, unknown[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")
        missing = sorted(required - set(entry))
        if missing:
            raise self.fail(where, missing[0], "required field is missing")
        return entry


def timeline_from_dict(data: Any, *, origin: str = "<dict>") -> Timeline:
    """Validate a parsed timeline (the mapping a YAML file holds) and return a :class:`Timeline`.

    ``origin`` names the source in error messages (the file path when called by :func:`load_timeline`).

    >>> tl = timeline_from_dict({
    ...     "cluster": "tiny", "arenas": {"market": "growers and buyers"},
    ...     "events": [{"id": "law", "cluster": "tiny", "arena": "market", "date": 2001, "actors": ["state"],
    ...                 "type": "trade_regulation", "regime_before": None, "regime_after": None,
    ...                 "quote": "A law passed in 2001.", "location": "p. 1"}]})
    >>> tl.events[0].date.precision
    'year'
    """
    chk = _Checker(origin)
    top = chk.keys(data, "top level", _TOP_KEYS, {"cluster", "arenas", "events"})
    version = top.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise chk.fail(
            "top level",
            "schema_version",
            f"unsupported version {version!r} (this code reads {SCHEMA_VERSION})",
        )
    cluster = chk.string(top["cluster"], "top level", "cluster", ident=True)
    meta = {
        k: chk.string(top.get(k), "top level", k, optional=True)
        for k in ("name", "country", "sector", "source", "note")
    }

    arenas = top["arenas"]
    if not isinstance(arenas, dict) or not arenas:
        raise chk.fail("top level", "arenas", "expected a non-empty mapping arena -> description")
    for a, desc in arenas.items():
        chk.string(a, "top level", "arenas", ident=True)
        chk.string(desc, f"arenas.{a}", "description")

    vocabulary = dict(REGIME_VOCABULARY)
    event_types = dict(EVENT_TYPES)
    for key, target in (("extra_regimes", vocabulary), ("extra_event_types", event_types)):
        extra = top.get(key) or {}
        if not isinstance(extra, dict):
            raise chk.fail("top level", key, "expected a mapping name -> definition")
        for name, definition in extra.items():
            chk.string(name, "top level", key, ident=True)
            chk.string(definition, f"{key}.{name}", "definition")
            if name in target:
                raise chk.fail("top level", key, f"{name!r} is already defined in the package vocabulary")
            target[name] = definition

    raw_events = top["events"]
    if not isinstance(raw_events, list) or not raw_events:
        raise chk.fail("top level", "events", "expected a non-empty list of events")
    seen: dict[str, str] = {}
    events = [
        _event(chk, i, raw, cluster, arenas, vocabulary, event_types, seen)
        for i, raw in enumerate(raw_events)
    ]

    raw_regimes = top.get("regimes") or []
    if not isinstance(raw_regimes, list):
        raise chk.fail("top level", "regimes", "expected a list of regime spells")
    event_ids = {e.id for e in events}
    regimes = [
        _regime(chk, i, raw, cluster, arenas, vocabulary, event_ids, seen)
        for i, raw in enumerate(raw_regimes)
    ]

    _check_spells(chk, regimes)
    _check_transitions(chk, events, regimes)
    return Timeline(
        cluster=cluster,
        events=tuple(events),
        regimes=tuple(regimes),
        arenas=dict(arenas),
        vocabulary=vocabulary,
        origin=origin,
        **meta,
    )


def _where(kind: str, i: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"{kind}[{i}]" + (f" (id {ident!r})" if isinstance(ident, str) else "")


def _common(chk, where, raw, cluster, arenas, seen) -> tuple[str, str]:
    ident = chk.string(raw["id"], where, "id", ident=True)
    if ident in seen:
        raise chk.fail(where, "id", f"duplicate id {ident!r} (first used by {seen[ident]})")
    seen[ident] = where
    if raw["cluster"] != cluster:
        raise chk.fail(where, "cluster", f"{raw['cluster']!r} differs from the file's cluster {cluster!r}")
    arena = chk.string(raw["arena"], where, "arena")
    if arena not in arenas:
        raise chk.fail(where, "arena", f"unknown arena {arena!r}; declared arenas: {', '.join(arenas)}")
    return ident, arena


def _regime_name(chk, value, where, name, vocabulary, *, optional: bool) -> str | None:
    if value is None and optional:
        return None
    value = chk.string(value, where, name)
    if value not in vocabulary:
        raise chk.fail(
            where,
            name,
            f"{value!r} is not in the regime vocabulary ({', '.join(vocabulary)}); add it under extra_regimes",
        )
    return value


def _evidence_item(chk, item, where) -> Evidence:
    chk.keys(item, where, {"quote", "location"}, {"quote", "location"})
    return Evidence(
        chk.string(item["quote"], where, "quote"), chk.string(item["location"], where, "location")
    )


def _date(chk, raw, where) -> DateSpec:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return DateSpec(int(raw), int(raw), int(raw), "year")
    d = chk.keys(raw, f"{where}: date", {"year", "start", "end", "precision"}, {"precision"})
    precision = chk.string(d["precision"], where, "date.precision")
    if precision not in DATE_PRECISIONS:
        raise chk.fail(where, "date.precision", f"{precision!r} is not one of {', '.join(DATE_PRECISIONS)}")
    year = chk.year(d.get("year"), where, "date.year", optional=True)
    start = chk.year(d.get("start"), where, "date.start", optional=True)
    end = chk.year(d.get("end"), where, "date.end", optional=True)
    if precision == "year":
        if year is None:
            raise chk.fail(where, "date.year", "required when precision is 'year'")
        if (start is not None and start != year) or (end is not None and end != year):
            raise chk.fail(
                where, "date.start", "with precision 'year', start and end must equal year (or be omitted)"
            )
        return DateSpec(year, year, year, precision)
    if start is None or end is None:
        raise chk.fail(
            where, "date.start" if start is None else "date.end", f"required when precision is {precision!r}"
        )
    if start > end:
        raise chk.fail(where, "date.start", f"start {start} is after end {end}")
    if year is None:
        year = start
    if not start <= year <= end:
        raise chk.fail(where, "date.year", f"year {year} lies outside [start, end] = [{start}, {end}]")
    return DateSpec(year, start, end, precision)


def _event(chk, i, raw, cluster, arenas, vocabulary, event_types, seen) -> Event:
    where = _where("events", i, raw)
    chk.keys(raw, where, _EVENT_KEYS, _EVENT_REQUIRED)
    ident, arena = _common(chk, where, raw, cluster, arenas, seen)
    date = _date(chk, raw["date"], where)
    actors = raw["actors"]
    if not isinstance(actors, list) or not actors:
        raise chk.fail(where, "actors", f"expected a non-empty list of actors, got {actors!r}")
    actors = tuple(chk.string(a, where, "actors") for a in actors)
    etype = chk.string(raw["type"], where, "type")
    if etype not in event_types:
        raise chk.fail(
            where,
            "type",
            f"{etype!r} is not an event type ({', '.join(event_types)}); add it under extra_event_types",
        )
    before = _regime_name(chk, raw["regime_before"], where, "regime_before", vocabulary, optional=True)
    after = _regime_name(chk, raw["regime_after"], where, "regime_after", vocabulary, optional=True)
    more = raw.get("evidence") or []
    if not isinstance(more, list):
        raise chk.fail(where, "evidence", "expected a list of {quote, location} mappings")
    more_evidence = tuple(_evidence_item(chk, item, f"{where}: evidence[{j}]") for j, item in enumerate(more))
    return Event(
        id=ident,
        cluster=cluster,
        arena=arena,
        date=date,
        actors=actors,
        type=etype,
        regime_before=before,
        regime_after=after,
        quote=chk.string(raw["quote"], where, "quote"),
        location=chk.string(raw["location"], where, "location"),
        more_evidence=more_evidence,
        note=chk.string(raw.get("note"), where, "note", optional=True),
    )


def _regime(chk, i, raw, cluster, arenas, vocabulary, event_ids, seen) -> Regime:
    where = _where("regimes", i, raw)
    chk.keys(raw, where, _REGIME_KEYS, _REGIME_REQUIRED)
    ident, arena = _common(chk, where, raw, cluster, arenas, seen)
    regime = _regime_name(chk, raw["regime"], where, "regime", vocabulary, optional=False)
    start = chk.year(raw["start"], where, "start", optional=True)
    end = chk.year(raw["end"], where, "end", optional=True)
    if start is not None and end is not None and start > end:
        raise chk.fail(where, "start", f"start {start} is after end {end}")
    items = raw["evidence"]
    if not isinstance(items, list) or not items:
        raise chk.fail(
            where, "evidence", "expected a non-empty list of {event: id} or {quote, location} entries"
        )
    refs: list[str] = []
    quotes: list[Evidence] = []
    for j, item in enumerate(items):
        w = f"{where}: evidence[{j}]"
        if isinstance(item, dict) and "event" in item:
            chk.keys(item, w, {"event"}, {"event"})
            if chk.string(item["event"], w, "event") not in event_ids:
                raise chk.fail(w, "event", f"no event with id {item['event']!r} in this file")
            refs.append(item["event"])
        else:
            quotes.append(_evidence_item(chk, item, w))
    return Regime(
        id=ident,
        cluster=cluster,
        arena=arena,
        regime=regime,
        start=start,
        end=end,
        event_ids=tuple(refs),
        quotes=tuple(quotes),
        note=chk.string(raw.get("note"), where, "note", optional=True),
    )


def _check_spells(chk, regimes: list[Regime]) -> None:
    """Within an arena, spells do not overlap; only the first may be open at the start, only the last at the end."""
    for arena in sorted({r.arena for r in regimes}):
        spells = sorted((r for r in regimes if r.arena == arena), key=_spell_key)
        for k, s in enumerate(spells):
            where = f"regimes (id {s.id!r})"
            if s.start is None and k > 0:
                raise chk.fail(
                    where, "start", f"only the first spell of arena {arena!r} may have start: null"
                )
            if s.end is None and k < len(spells) - 1:
                raise chk.fail(
                    where, "end", f"end is null but spell {spells[k + 1].id!r} follows in arena {arena!r}"
                )
            if (
                k > 0
                and spells[k - 1].end is not None
                and s.start is not None
                and s.start <= spells[k - 1].end
            ):
                raise chk.fail(
                    where,
                    "start",
                    f"starts in {s.start}, but spell {spells[k - 1].id!r} of arena {arena!r} runs to {spells[k - 1].end}",
                )


def _check_transitions(chk, events: list[Event], regimes: list[Regime]) -> None:
    """Events and spells must tell the same story where the file has spells for the event's arena.

    A transition event (``regime_after`` set and different from ``regime_before``) needs a spell of
    ``regime_after`` that starts inside the event's date interval, preceded by a spell of ``regime_before`` when that
    is set.  An event within a regime (``regime_before == regime_after``) needs a spell of that regime overlapping the
    event's interval.
    """
    for e in events:
        spells = sorted((r for r in regimes if r.arena == e.arena), key=_spell_key)
        if not spells or e.regime_after is None:
            continue
        where = f"events (id {e.id!r})"
        lo, hi = e.date.start, e.date.end
        if e.is_transition:
            ok = False
            for k, s in enumerate(spells):
                if s.regime == e.regime_after and s.start is not None and lo <= s.start <= hi:
                    ok = e.regime_before is None or (k > 0 and spells[k - 1].regime == e.regime_before)
                    if ok:
                        break
            if not ok:
                raise chk.fail(
                    where,
                    "regime_after",
                    f"the event moves arena {e.arena!r} from {e.regime_before!r} to {e.regime_after!r} within "
                    f"[{lo}, {hi}], but no spell of {e.regime_after!r} (preceded by {e.regime_before!r}) starts then",
                )
        else:
            overlaps = any(
                s.regime == e.regime_after
                and (s.start is None or s.start <= hi)
                and (s.end is None or lo <= s.end)
                for s in spells
            )
            if not overlaps:
                raise chk.fail(
                    where,
                    "regime_before",
                    f"the event happens within regime {e.regime_after!r} in [{lo}, {hi}], but no spell of that regime "
                    f"in arena {e.arena!r} overlaps those years",
                )
