"""Shared pieces of the parser fuzz tests: seed files, byte mutations and the error contract."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st

from clusterecon.errors import ClusterEconError, ParseError

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
FAO_SEEDS = {n: (FIXTURES / "faostat" / n).read_bytes() for n in
             ("trade_new_utf8bom.csv", "trade_old_latin1.csv", "matrix_new_utf8.csv", "matrix_old_latin1.csv")}
COMTRADE_CSV = (FIXTURES / "comtrade" / "plus_200290_0406.csv").read_bytes()
COMTRADE_JSON = (FIXTURES / "comtrade" / "plus_200290_0406.json").read_bytes()
TIMELINES = {n: (REPO / "data" / "regimes" / f"{n}.yaml").read_bytes() for n in ("chile_tomato", "nicaragua_dairy")}
FACTS = (REPO / "data" / "paper" / "facts.csv").read_bytes()

#: byte strings that break parsers: quotes, separators, line ends, NUL, BOM, invalid UTF-8, YAML/JSON syntax
NASTY = [b'"', b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"'", b":", b"- ", b"{", b"[",
         b"NaN", b"inf", b"-1", b"1e400", b"\t", b"#", b"&a ", b"*a ", b"!!python/object ", b"\\", b";", b"\xe2\x80\xa8"]

#: named whole-file mutations (deterministic, applied to each seed)
def classic_mutations(seed: bytes) -> dict[str, bytes]:
    n = len(seed)
    text = seed.decode("utf-8", "replace")
    return {
        "empty": b"",
        "only_bom": b"\xef\xbb\xbf",
        "only_newline": b"\n",
        "truncated_half": seed[: n // 2],
        "truncated_20": seed[:20],
        "truncated_last_byte": seed[:-1],
        "latin1": text.encode("latin-1", "replace"),
        "utf16": text.encode("utf-16"),
        "stray_quote": seed[: n // 2] + b'"' + seed[n // 2:],
        "bom_in_middle": seed[: n // 2] + b"\xef\xbb\xbf" + seed[n // 2:],
        "nul_in_middle": seed[: n // 2] + b"\x00" + seed[n // 2:],
        "invalid_utf8": seed[: n // 2] + b"\xff\xfe\xc3" + seed[n // 2:],
        "huge_field": seed[: n // 2] + b"9" * 2_000_000 + seed[n // 2:],
        "binary": bytes(range(256)) * 4,
        "crlf": seed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
        "non_numeric": seed.replace(b"1", b"x", 3),
        "every_line_twice": b"".join(line + line for line in seed.splitlines(keepends=True)),
    }


@st.composite
def mutated(draw, seeds: list[bytes], max_ops: int = 4) -> bytes:
    """A seed file with 1..max_ops random edits: deletions, insertions of nasty bytes, byte flips, truncation,
    duplicated or swapped lines."""
    b = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, max_ops))):
        if not b:
            break
        op = draw(st.sampled_from(["delete", "insert", "flip", "truncate", "dup_line", "swap_lines"]))
        i = draw(st.integers(0, len(b) - 1))
        if op == "delete":
            del b[i: i + draw(st.integers(1, 60))]
        elif op == "insert":
            b[i:i] = draw(st.sampled_from(NASTY))
        elif op == "flip":
            b[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del b[i:]
        else:
            lines = bytes(b).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(k, lines[k])
            else:
                lines[k], lines[-1] = lines[-1], lines[k]
            b = bytearray(b"\n".join(lines))
    return bytes(b)


def assert_contract(fn: Callable[[Path], object], path: Path, *, need_line: bool = False,
                    known: tuple[tuple[str, str], ...] = ()) -> object:
    """Call ``fn(path)``: it must return, or raise a ClusterEconError whose message names the file.

    Any other exception (KeyError, IndexError, UnicodeDecodeError, csv.Error, pandas' ParserError ...) escapes
    and fails the test.  With ``need_line`` a ParseError must also carry the line.

    ``known`` lists (exception type name, message fragment) of bugs already pinned by a dedicated
    ``xfail(strict=True)`` test: random fuzzing tolerates those (recording a hypothesis event) so that it keeps
    looking for new ones.  Remove the entry when the bug is fixed.
    """
    try:
        return fn(path)
    except ClusterEconError as exc:
        msg = str(exc)
        assert str(path) in msg or path.name in msg, f"error does not name the file {path}: {msg!r}"
        if need_line and isinstance(exc, ParseError):
            assert exc.line is not None, f"ParseError without a line: {msg!r}"
        return exc
    except Exception as exc:
        for typename, fragment in known:
            if type(exc).__name__ == typename and fragment in str(exc):
                from hypothesis import event

                event(f"known bug: {typename}: {fragment}")
                return exc
        raise
