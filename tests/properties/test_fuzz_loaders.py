"""Fuzzing the regime-timeline loader (``load_timeline`` on a path) and the paper-facts loader (``facts(path)``).

Contract (issue 10): a result or a ``ClusterEconError`` whose message names the file.  Byte-level mutations of the
shipped files, plus structural mutations (one field of a valid timeline, one cell of the facts table, replaced by a
value of another type) that must give a ``SchemaError`` naming the file and the entry/line.
"""

from __future__ import annotations

import copy
import csv
import io

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from clusterecon.data.paper import facts
from clusterecon.data.regimes import load_timeline
from clusterecon.errors import ClusterEconError, SchemaError

from ._fuzz import FACTS, TIMELINES, assert_contract, classic_mutations, mutated

# ------------------------------------------------------------------------------------------------ timelines
TL_CASES = [(s, m) for s in TIMELINES for m in classic_mutations(b"x")]


@pytest.mark.parametrize("seed, mutation", TL_CASES)
def test_timeline_classic_mutations(tmp_path, seed, mutation):
    p = tmp_path / f"{seed}.yaml"
    p.write_bytes(classic_mutations(TIMELINES[seed])[mutation])
    assert_contract(load_timeline, p)


@given(data=mutated(list(TIMELINES.values())))
def test_timeline_random_mutations(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("tl") / "t.yaml"
    p.write_bytes(data)
    assert_contract(load_timeline, p)


def test_timeline_seeds_load(tmp_path):
    for name, raw in TIMELINES.items():
        p = tmp_path / f"{name}.yaml"
        p.write_bytes(raw)
        assert load_timeline(p).cluster == name


_ODD = st.one_of(st.none(), st.booleans(), st.integers(-3000, 3000), st.floats(allow_nan=True), st.text(max_size=6),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def _paths(obj, prefix=()):
    """Every (path) to a leaf or container inside a nested dict/list."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


_TL_DATA = {n: yaml.safe_load(raw) for n, raw in TIMELINES.items()}
_TL_PATHS = [(n, p) for n, d in _TL_DATA.items() for p in _paths(d) if p]


@given(target=st.sampled_from(_TL_PATHS), value=_ODD, drop=st.booleans())
def test_timeline_structural_mutation(tmp_path_factory, target, value, drop):
    """One entry of a valid timeline replaced by a value of any type, or deleted: loads or SchemaError naming the
    file; yaml.safe_dump round trip keeps the rest intact."""
    name, path = target
    data = copy.deepcopy(_TL_DATA[name])
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    p = tmp_path_factory.mktemp("tls") / f"{name}.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = assert_contract(load_timeline, p)
    if isinstance(out, ClusterEconError):
        assert isinstance(out, SchemaError), repr(out)


def _set(data, path, value):
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = value
    return data


@pytest.mark.parametrize("path", [("events", 0, "type"), ("events", 0, "regime_after"), ("events", 0, "regime_before"),
                                  ("events", 0, "date", "precision"), ("regimes", 0, "regime")],
                         ids=lambda p: ".".join(map(str, p)))
@pytest.mark.parametrize("value", [[], {"a": 1}], ids=["list", "mapping"])
def test_timeline_unhashable_vocabulary_values(tmp_path, path, value):
    """Regression test for finding F4 (was a raw TypeError: unhashable type)."""
    data = _set(copy.deepcopy(_TL_DATA["chile_tomato"]), path, value)
    p = tmp_path / "chile_tomato.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SchemaError) as ei:
        load_timeline(p)
    assert str(p) in str(ei.value)


# ---------------------------------------------------------------------------------------------------- facts
F_CASES = list(classic_mutations(b"x"))


@pytest.mark.parametrize("mutation", F_CASES)
def test_facts_classic_mutations(tmp_path, mutation):
    p = tmp_path / "facts.csv"
    p.write_bytes(classic_mutations(FACTS)[mutation])
    assert_contract(facts, p)


@given(data=mutated([FACTS]))
def test_facts_random_mutations(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("facts") / "facts.csv"
    p.write_bytes(data)
    assert_contract(facts, p)


_ROWS = list(csv.reader(io.StringIO(FACTS.decode("utf-8"))))


@given(row=st.integers(1, len(_ROWS) - 1), col=st.integers(0, len(_ROWS[0]) - 1),
       value=st.one_of(st.text(max_size=12), st.sampled_from(["", " ", "nan", "inf", "-1e309", "1,000", "TRUE",
                                                                 "2101", "18 99", "\ufeff1990", "§9 ¶1", "\x00"])))
def test_facts_cell_mutation(tmp_path_factory, row, col, value):
    """One cell replaced by arbitrary text: loads, or SchemaError naming the file and the CSV line of that row."""
    rows = [list(r) for r in _ROWS]
    rows[row][col] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    p = tmp_path_factory.mktemp("factc") / "facts.csv"
    p.write_text(buf.getvalue(), encoding="utf-8")
    out = assert_contract(facts, p)
    if isinstance(out, ClusterEconError):
        assert isinstance(out, SchemaError), repr(out)
        assert "line " in str(out), str(out)
