"""Test helpers: fixture paths, zip builders (including a real Deflate64 archive) and a loopback HTTP server."""

from __future__ import annotations

import http.server
import struct
import threading
import urllib.parse
import zipfile
import zlib
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FAO = FIXTURES / "faostat"
COMTRADE = FIXTURES / "comtrade"
TRADE_NAME = "Trade_CropsLivestock_E_All_Data_(Normalized).zip"
OLD_TRADE_NAME = "Trade_Crops_Livestock_E_All_Data_(Normalized).zip"
MATRIX_NAME = "Trade_DetailedTradeMatrix_E_All_Data_(Normalized).zip"


def make_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, compress_type=compression)
    return path


def make_deflate64_zip(path: Path, name: str, data: bytes) -> Path:
    """Write a zip whose single member uses compression method 9 (Deflate64).

    The payload is a raw deflate stream of literals only (zlib's Huffman-only strategy).  Such a stream uses none of
    the codes whose meaning differs between Deflate and Deflate64 (length code 285, distance codes 30-31), so it is
    a valid Deflate64 stream; the archive is labelled method 9 and the standard zipfile module refuses it.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_HUFFMAN_ONLY)
    payload = comp.compress(data) + comp.flush()
    crc = zlib.crc32(data) & 0xFFFFFFFF
    fname = name.encode()
    dostime, dosdate = 0, (40 << 9) | (1 << 5) | 1  # 2020-01-01
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 21, 0, 9, dostime, dosdate, crc, len(payload), len(data),
                        len(fname), 0) + fname
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 21, 21, 0, 9, dostime, dosdate, crc, len(payload),
                          len(data), len(fname), 0, 0, 0, 0, 0, 0) + fname
    cd_offset = len(local) + len(payload)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), cd_offset, 0)
    path.write_bytes(local + payload + central + eocd)
    return path


def corrupt_copy(src: Path, dst: Path) -> Path:
    """Copy a zip and flip bytes in the middle of the first member's compressed data (central directory intact)."""
    raw = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    mid = start + info.compress_size // 2
    for k in range(mid, min(mid + 8, start + info.compress_size)):
        raw[k] ^= 0xFF
    dst.write_bytes(bytes(raw))
    return dst


class Loopback:
    """An HTTP server on 127.0.0.1 (port 0) in a thread.

    ``routes[path]`` is a list of responses served in turn (the last one repeats): dicts with ``status``, ``body``,
    and optionally ``truncate`` (send only that many body bytes after announcing the full length, then close).
    Paths not routed are served from ``directory`` when set, else 404.  ``requests`` records (path, headers).
    """

    def __init__(self) -> None:
        self.routes: dict[str, list[dict]] = {}
        self.requests: list[tuple[str, dict]] = []
        self.directory: Path | None = None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):  # noqa: N802
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                outer.requests.append((path, dict(self.headers)))
                queue = outer.routes.get(path)
                if queue:
                    resp = queue.pop(0) if len(queue) > 1 else queue[0]
                elif outer.directory is not None and (outer.directory / path.lstrip("/")).is_file():
                    resp = {"status": 200, "body": (outer.directory / path.lstrip("/")).read_bytes()}
                else:
                    resp = {"status": 404, "body": b"not found"}
                body = resp.get("body", b"")
                self.send_response(resp.get("status", 200))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                cut = resp.get("truncate")
                self.wfile.write(body if cut is None else body[:cut])
                self.wfile.flush()
                self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def url(self, path: str) -> str:
        return self.base + urllib.parse.quote(path.lstrip("/"))

    def serve(self, path: str, *responses: dict) -> None:
        self.routes["/" + path.lstrip("/")] = list(responses)

    def hits(self, path: str) -> int:
        return sum(p == "/" + path.lstrip("/") for p, _ in self.requests)

    def start(self) -> Loopback:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

