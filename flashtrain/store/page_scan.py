"""Rows a damaged b-tree hides, found by reading the SQLite file page by page (for `store recover`).

When an interior page of a table's b-tree is damaged, SQLite cannot reach the leaf pages below it,
although they are intact. The sqlite3 shell's `.recover` reads pages directly through the
`sqlite_dbpage` table, which Python's and Debian's builds lack, so this module reads the file format
itself (https://www.sqlite.org/fileformat2.html): every table-leaf page that is not on the freelist
(freed pages hold deleted rows, which must not come back) is decoded cell by cell, overflow chains
included, and each record is matched to the one table whose columns it fits (count, storage class of
each column, NOT NULL). A page or cell that does not decode cleanly is skipped: it is damage, not data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

TABLE_LEAF = 0x0D
TABLE_INTERIOR, INDEX_INTERIOR, INDEX_LEAF = 0x05, 0x02, 0x0A


@dataclass(frozen=True)
class Column:
    name: str
    affinity: str  # integer | real | text | blob | numeric (as SQLite derives it from the declared type)
    not_null: bool
    rowid_alias: bool  # INTEGER PRIMARY KEY: stored as NULL in the record, the value is the rowid


class _Damaged(Exception):
    pass


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        if at + i >= len(data):
            raise _Damaged("varint runs past the page")
        byte = data[at + i]
        if i == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    raise _Damaged("varint")  # not reached


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


INT_SIZES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


def decode_record(payload: bytes) -> list:
    header_size, at = _varint(payload, 0)
    if header_size > len(payload) or header_size < 1:
        raise _Damaged("record header size")
    types = []
    while at < header_size:
        serial, at = _varint(payload, at)
        types.append(serial)
    if at != header_size:
        raise _Damaged("record header")
    values, body = [], header_size
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in INT_SIZES:
            size = INT_SIZES[serial]
            values.append(int.from_bytes(payload[body:body + size], "big", signed=True))
            body += size
        elif serial == 7:
            values.append(struct.unpack(">d", payload[body:body + 8])[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            size = (serial - 12) // 2
            chunk = payload[body:body + size]
            if len(chunk) != size:
                raise _Damaged("value runs past the record")
            if serial % 2:
                try:
                    values.append(chunk.decode("utf-8"))
                except UnicodeDecodeError:
                    raise _Damaged("text is not UTF-8") from None
            else:
                values.append(bytes(chunk))
            body += size
        else:
            raise _Damaged("reserved serial type")
        if body > len(payload):
            raise _Damaged("value runs past the record")
    if body != len(payload):
        raise _Damaged("record length")
    return values


class PageFile:
    def __init__(self, data: bytes) -> None:
        if len(data) < 100 or not data.startswith(b"SQLite format 3\x00"):
            raise _Damaged("not a SQLite file")
        size = struct.unpack(">H", data[16:18])[0]
        self.page_size = 65536 if size == 1 else size
        if self.page_size < 512 or self.page_size & (self.page_size - 1):
            raise _Damaged("page size")
        self.usable = self.page_size - data[20]
        self.data = data
        self.pages = len(data) // self.page_size
        if struct.unpack(">I", data[56:60])[0] not in (0, 1):
            raise _Damaged("only UTF-8 stores are read")

    def page(self, number: int) -> bytes:
        if not 1 <= number <= self.pages:
            raise _Damaged(f"page {number} is outside the file")
        return self.data[(number - 1) * self.page_size:number * self.page_size]

    def freelist(self) -> set[int]:
        """Pages on the freelist (trunks and leaves); a damaged list stops where it breaks."""
        free: set[int] = set()
        trunk = struct.unpack(">I", self.data[32:36])[0]
        while trunk and trunk not in free and 1 <= trunk <= self.pages:
            free.add(trunk)
            page = self.page(trunk)
            count = struct.unpack(">I", page[4:8])[0]
            if count > (self.usable - 8) // 4:
                break
            free.update(struct.unpack(f">{count}I", page[8:8 + 4 * count]))
            trunk = struct.unpack(">I", page[0:4])[0]
        return free

    def _payload(self, page: bytes, at: int, size: int) -> bytes:
        usable = self.usable
        most = usable - 35
        if size <= most:
            local = size
        else:
            least = (usable - 12) * 32 // 255 - 23
            local = least + (size - least) % (usable - 4)
            if local > most:
                local = least
        payload = bytearray(page[at:at + local])
        if len(payload) != local:
            raise _Damaged("cell runs past the page")
        if local < size:
            next_page = struct.unpack(">I", page[at + local:at + local + 4])[0]
            seen = set()
            while len(payload) < size:
                if next_page in seen or not 1 <= next_page <= self.pages:
                    raise _Damaged("overflow chain")
                seen.add(next_page)
                overflow = self.page(next_page)
                payload += overflow[4:4 + min(usable - 4, size - len(payload))]
                next_page = struct.unpack(">I", overflow[0:4])[0]
        return bytes(payload)

    def leaf_rows(self, number: int) -> list[tuple[int, list]]:
        """(rowid, values) of every cell of a table-leaf page; [] for any other page."""
        page = self.page(number)
        start = 100 if number == 1 else 0
        if page[start] != TABLE_LEAF:
            return []
        cells = struct.unpack(">H", page[start + 3:start + 5])[0]
        pointers = start + 8
        if pointers + 2 * cells > self.usable:
            raise _Damaged("cell count")
        rows = []
        for i in range(cells):
            at = struct.unpack(">H", page[pointers + 2 * i:pointers + 2 * i + 2])[0]
            if not pointers + 2 * cells <= at < self.usable:
                raise _Damaged("cell pointer")
            size, at = _varint(page, at)
            rowid, at = _varint(page, at)
            rows.append((_signed(rowid), decode_record(self._payload(page, at, size))))
        return rows


def _fits(values: list, columns: list[Column]) -> bool:
    if len(values) != len(columns):
        return False
    for value, column in zip(values, columns):
        if value is None:
            if column.not_null and not column.rowid_alias:
                return False
        elif column.rowid_alias:
            return False  # the rowid alias is always stored as NULL
        elif column.affinity == "integer" and not isinstance(value, int):
            return False
        elif column.affinity == "real" and not isinstance(value, (int, float)):
            return False
        elif column.affinity == "text" and not isinstance(value, str):
            return False
        elif column.affinity == "blob" and not isinstance(value, bytes):
            return False
    return True


def scan_rows(path: Path, tables: dict[str, list[Column]]) -> dict[str, dict[int, list]]:
    """Every row of a table-leaf page outside the freelist that fits exactly one of `tables`, by
    table then rowid (values in column order, the rowid alias filled in). Pages and cells that do
    not decode are skipped."""
    try:
        scan = PageFile(Path(path).read_bytes())
        free = scan.freelist()
    except (_Damaged, OSError, struct.error):
        return {}
    found: dict[str, dict[int, list]] = {name: {} for name in tables}
    for number in range(1, scan.pages + 1):
        if number in free:
            continue
        try:
            rows = scan.leaf_rows(number)
        except (_Damaged, struct.error):
            continue
        for rowid, values in rows:
            owners = [name for name, columns in tables.items() if _fits(values, columns)]
            if len(owners) != 1:
                continue  # sqlite_schema's own rows, or a row two tables could hold: not guessed
            columns = tables[owners[0]]
            found[owners[0]][rowid] = [rowid if c.rowid_alias else v for c, v in zip(columns, values)]
    return found


def affinity(declared: str) -> str:
    """SQLite's column affinity rules (https://www.sqlite.org/datatype3.html#determination_of_column_affinity)."""
    kind = declared.upper()
    if "INT" in kind:
        return "integer"
    if any(word in kind for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in kind or not kind:
        return "blob"
    if any(word in kind for word in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric"
