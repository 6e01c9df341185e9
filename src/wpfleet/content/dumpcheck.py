"""Is a (tenant-supplied) SQL dump safe to feed to the ``mariadb`` client? Streamed.

A dump is a script run by a client that also obeys CLIENT commands (``\\! sh``,
``system``, ``source``, ``pager``, ``tee``, ``connect``) and by a server that obeys any
SQL the importing user may run. A site's content needs only a handful of statement kinds,
so this is an ALLOW-list: ``SET`` (not passwords, globals or roles), ``DROP TABLE``,
``CREATE TABLE``, ``LOCK``/``UNLOCK TABLES``, ``ALTER TABLE … DISABLE/ENABLE KEYS``,
``INSERT``/``REPLACE … VALUES`` holding only literals, transactions, ``DELIMITER ;`` and
``USE`` of the target database. Everything else is refused with the line number and the
statement, and the reasons users meet most are named: client commands, ``USE`` of another
database, ``DROP/CREATE DATABASE``, user and grant statements, ``DEFINER=``, ``LOAD
DATA``/``INTO OUTFILE``, triggers, views and routines.

Versioned comments (``/*!40101 … */``) are SQL to the server, so their contents are
checked like any other statement text; string literals are never looked into. Memory is
bounded by the longest line, not by the dump.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from wpfleet.content.fastpath import skeleton
from wpfleet.errors import ValidationError

SANDBOX_LINE = b"/*M!999999\\- enable the sandbox mode */"
HEAD_MAX = 4096  # bytes of a statement's skeleton kept to judge it

_TOKEN = re.compile(
    rb"'[^'\\]*(?:(?:\\.|'')[^'\\]*)*'"
    rb'|"[^"\\]*(?:(?:\\.|"")[^"\\]*)*"'
    rb"|`[^`]*(?:``[^`]*)*`"
    rb"|/\*M?!\d*|/\*.*?\*/|\*/"
    rb"|--(?=\s|$)[^\n]*|\#[^\n]*"
    rb"|[;\\]|['\"`]|/\*",
    re.S,
)
_CLOSE = {
    b"'": re.compile(rb"[^'\\]*(?:(?:\\.|'')[^'\\]*)*'", re.S),
    b'"': re.compile(rb'[^"\\]*(?:(?:\\.|"")[^"\\]*)*"', re.S),
    b"`": re.compile(rb"[^`]*(?:``[^`]*)*`"),
    b"*/": re.compile(rb".*?\*/", re.S),
}
_LITERAL = b"\x01"  # a string literal in a skeleton
_CLIENT_WORDS = (
    b"SYSTEM|SOURCE|PAGER|NOPAGER|TEE|NOTEE|CONNECT|EDIT|PROMPT|REHASH|CHARSET|WARNINGS"
    b"|NOWARNING|STATUS|PRINT|EGO|GO|EXIT|QUIT|HELP|CLEAR"
)
_CLIENT_LINE = re.compile(rb"\s*(?:" + _CLIENT_WORDS + rb")(?:\s|;|$)", re.I)
# possessive and atomic: a number is read one way only, so a mismatch fails at once
# instead of trying every split of every digit run (which is exponential)
_VALUES_OK = re.compile(
    rb"(?:[\s(),\x01]++|NULL|TRUE|FALSE|DEFAULT|_binary|_utf8mb4|_latin1|0x[0-9A-Fa-f]*+"
    rb"|[bB]\x01|[+-]?+(?>\d++(?:\.\d*+)?+|\.\d++)(?>[eE][+-]?+\d++)?+)*+",
    re.I,
)
_T = rb"(?:`(?:[^`]|``)+`|[\w$]+)"  # one table name, not db.table
_ALLOWED = [
    re.compile(p, re.I | re.S)
    for p in (
        rb"SET\s+(?!PASSWORD\b|GLOBAL\b|@@GLOBAL\b|ROLE\b|DEFAULT\s+ROLE\b).*",
        rb"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?" + _T + rb"\s*",
        rb"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _T + rb"\s*\((?!.*\bDIRECTORY\b).*",
        rb"LOCK\s+TABLES\s+" + _T + rb"\s+WRITE\s*",
        rb"UNLOCK\s+TABLES\s*",
        rb"ALTER\s+TABLE\s+" + _T + rb"\s+(?:DISABLE|ENABLE)\s+KEYS\s*",
        rb"(?:INSERT|REPLACE)(?:\s+IGNORE)?\s+INTO\s+" + _T + rb"\s*(?:\([^()]*\))?\s*VALUES?\b.*",
        rb"(?:START\s+TRANSACTION|BEGIN|COMMIT)\s*",
        rb"",
    )
]
_REFUSED = [
    (re.compile(rb"\bDEFINER\s*=", re.I), "a DEFINER (it would run code as another user)"),
    (re.compile(rb"\bLOAD\s+(?:DATA|XML)\b|\bLOAD_FILE\s*\(", re.I), "reading server files"),
    (re.compile(rb"\bINTO\s+(?:OUT|DUMP)FILE\b", re.I), "writing server files"),
    (re.compile(rb"(?:CREATE|DROP|ALTER)\s+(?:DATABASE|SCHEMA)\b", re.I), "a database statement"),
    (
        re.compile(rb"(?:(?:CREATE|ALTER|DROP|RENAME)\s+(?:USER|ROLE)|GRANT|REVOKE)\b", re.I),
        "a user or grant statement",
    ),
    (re.compile(rb"SET\s+PASSWORD\b", re.I), "a password change"),
    (re.compile(rb"\bREFERENCES\b|\bUNION\s*=", re.I), "a table that names other tables"),
    (
        re.compile(rb"CREATE\b.*?\b(?:TRIGGER|VIEW|PROCEDURE|FUNCTION|EVENT)\b", re.I | re.S),
        "a trigger, view, routine or event (not imported)",
    ),
]
TABLE_HEAD = re.compile(
    rb"(\s*(?:/\*!\d+\s+)?(?:DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?"
    rb"|CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?|LOCK\s+TABLES\s+|ALTER\s+TABLE\s+"
    rb"|(?:INSERT|REPLACE)(?:\s+IGNORE)?\s+INTO\s+))(" + _T + rb")",
    re.I,
)
_TABLE_STMT = re.compile(rb"(?:DROP|CREATE|LOCK|ALTER|INSERT|REPLACE)\b", re.I)
_ENGINE = re.compile(rb"\bENGINE\s*=?\s*(\w+)", re.I)
_ENGINES = {b"INNODB", b"MYISAM", b"ARIA"}
_USE = re.compile(rb"USE\s+(" + _T + rb")\s*", re.I)
_DELIMITER = re.compile(rb"\s*DELIMITER\s+(\S+)", re.I)
_HINT = "a site dump holds tables and rows only; dump it again with mysqldump/mariadb-dump"


class DumpRefusedError(ValidationError):
    """The dump holds something an import must not run; ``line`` is where it starts."""

    def __init__(self, name: str, line: int, reason: str, statement: bytes) -> None:
        shown = statement.strip()[:160].decode("utf-8", "replace")
        super().__init__(f"{name} line {line}: refused {reason}: {shown}", hint=_HINT)
        self.line, self.reason = line, reason


@dataclass
class DumpFacts:
    """What a check saw: for the import and its report."""

    statements: int = 0
    lines: int = 0
    sandbox_line: bool = False
    tables: list[str] = field(default_factory=list)  # CREATE TABLE names, in order
    rows: dict[str, int] = field(default_factory=dict)  # rows per table in whole-line INSERTs
    rows_exact: bool = True  # False when some INSERT was not counted (not one line)


class DumpChecker:
    """Feed lines with :meth:`feed`, then :meth:`finish`; raises DumpRefusedError."""

    def __init__(self, name: str = "the dump", database: str | None = None) -> None:
        self.name, self.database = name, database
        self.facts = DumpFacts()
        self.open: bytes | None = None  # an open literal quote or b"*/" (inside a comment)
        self.head = bytearray()  # the current statement's skeleton (bounded)
        self.raw = b""  # the line it starts on (from its start), for messages
        self.start = 0  # its first line
        self.values_at = -1  # offset in head where an INSERT's VALUES list starts
        self.line_start = True  # the current statement started at the start of a line
        self.table = ""  # the current INSERT's table
        self.slow_rows = False  # some of its rows went through the token-by-token path

    @property
    def between_statements(self) -> bool:
        """True when the next line starts a statement (for rewriting statement heads)."""
        return self.open is None and not self.head.strip()

    def feed(self, line: bytes) -> None:
        """One line, or a block of whole lines (see rowlines.coalesce)."""
        n = self.facts.lines + 1
        self.facts.lines += line.count(b"\n", 0, -1) + 1
        if n == 1 and line.rstrip() == SANDBOX_LINE:
            self.facts.sandbox_line = True
            return
        if self.between_statements:
            if line[:6].upper() in (b"INSERT", b"REPLAC") and self._whole_insert(line, n):
                return
            self._line_start(line, n)
        elif self.values_at >= 0 and self.open is None and self._row_line(line):
            return
        pos = 0
        if self.open is not None:
            pos = self._resume(line)
            if pos < 0:
                return
        self._scan(line, pos)

    def _whole_insert(self, line: bytes, n: int) -> bool:
        """A line that is one whole INSERT (mysqldump's shape), at byte-search speed:
        the head is judged, the values' skeleton must be plain literals. False: take the
        token-by-token path (which also words any refusal)."""
        stmt = line.rstrip(b"\r\n")
        m = _INSERT_VALUES.match(stmt)
        if m is None or not stmt.endswith(b";"):
            return False
        walked = skeleton(stmt, m.end())
        if walked is None or not _VALUES_OK.fullmatch(walked.skeleton, 0, len(walked.skeleton) - 1):
            return False
        self.start, self.raw, self.line_start = n, line, True
        self.judge(stmt[: m.end()], line)
        table = _INSERT_TABLE.match(stmt)
        if table is not None:
            name = _unquote(table.group(1))
            self.facts.rows[name] = self.facts.rows.get(name, 0) + walked.rows
        self.facts.statements += 1
        return True

    def _row_line(self, line: bytes) -> bool:
        """A line of whole rows inside an INSERT (mariadb-dump writes one row per line),
        at byte-search speed; False: take the token-by-token path."""
        walked = skeleton(line, 0, fragment=True)
        if walked is None:
            return False
        skel = walked.skeleton.rstrip()
        if not _VALUES_OK.fullmatch(skel, 0, len(skel) - 1):
            return False
        self.facts.rows[self.table] = self.facts.rows.get(self.table, 0) + walked.rows
        if walked.ends:
            self._end()
        return True

    def _line_start(self, line: bytes, n: int) -> None:
        self.start, self.raw, self.line_start = n, line, True
        if _CLIENT_LINE.match(line):
            self.fail("a client command", line)
        m = _DELIMITER.match(line)
        if m and m.group(1) != b";":
            self.fail("a DELIMITER change (triggers and routines are not imported)", line)

    def _resume(self, line: bytes) -> int:
        """Where the open literal or comment ends in ``line`` (-1: it goes on)."""
        assert self.open is not None
        m = _CLOSE[self.open].match(line)
        if m is None:
            return -1
        self.open = None
        return m.end()

    def _scan(self, line: bytes, pos: int) -> None:
        for m in _TOKEN.finditer(line, pos):
            self._text(line[pos : m.start()])
            pos = m.end()
            tok = m.group()
            c = tok[:1]
            if len(tok) > 1 and c in b"'\"":
                self._text(_LITERAL)
            elif c == b"`" and len(tok) > 1:
                self._text(tok)
            elif tok == b";":
                self._end()
                self.raw, self.line_start = line[pos:], False
                if _CLIENT_LINE.match(line, pos):
                    self.fail("a client command", line[pos:])
            elif tok == b"\\":
                self.fail("a client command (backslash outside a string)", line)
            elif tok in (b"'", b'"', b"`", b"/*"):
                # an opener the token pattern could not close: it closes on a later line
                self.open = b"*/" if tok == b"/*" else tok
                self._text(_LITERAL if tok in (b"'", b'"') else b" ")
                return
            else:
                self._text(b" ")  # comments and versioned-comment markers
        self._text(line[pos:])

    def _text(self, data: bytes) -> None:
        if self.values_at >= 0:
            if not _VALUES_OK.fullmatch(data):
                self.fail("an INSERT whose values are not plain literals", self.raw)
            self.slow_rows = self.slow_rows or b"(" in data
            return
        self.head += data
        if len(self.head) > HEAD_MAX:
            self.fail("a statement this long before its data", self.raw)
        m = _INSERT_VALUES.match(self.head)
        if m is not None:
            table = _INSERT_TABLE.match(self.head)
            self.table = _unquote(table.group(1)) if table is not None else "?"
            rest = bytes(self.head[m.end() :])
            del self.head[m.end() :]
            self.values_at = m.end()
            self._text(rest)

    def _end(self) -> None:
        stmt = bytes(self.head).strip()
        self.judge(stmt, self.raw)
        if stmt[:6].upper() in (b"INSERT", b"REPLAC") and self.slow_rows:
            self.facts.rows_exact = False  # rows the byte-search path did not count
        self.slow_rows = False
        self.facts.statements += 1
        self.head.clear()
        self.values_at = -1
        self.start = self.facts.lines

    def judge(self, stmt: bytes, raw: bytes) -> None:
        """Refuse ``stmt`` (a skeleton: literals blanked, comments dropped) unless allowed."""
        flat = b" ".join(stmt.split())
        for pattern, reason in _REFUSED:
            if pattern.search(flat):
                self.fail(reason, raw)
        use = _USE.fullmatch(flat)
        if use is not None:
            name = use.group(1).strip(b"`").decode("utf-8", "replace")
            if name != self.database:
                self.fail(f"USE of database {name!r} (the import targets its own)", raw)
            return
        if not any(p.fullmatch(flat) for p in _ALLOWED):
            self.fail("a statement an import does not run", raw)
        if _TABLE_STMT.match(flat):
            self._table_statement(flat, raw)
        m = _CREATE_NAME.match(flat)
        if m is not None:
            name = _unquote(m.group(1))
            self.facts.tables.append(name)
            self.facts.rows.setdefault(name, 0)

    def _table_statement(self, flat: bytes, raw: bytes) -> None:
        """An import renames the table of every such statement on the fly (to load it into
        a shadow table): its name must be on the statement's first line, which must start a
        line; its engine must keep rows in this database."""
        on_line, in_stmt = TABLE_HEAD.match(raw), TABLE_HEAD.match(flat)
        if (
            not self.line_start
            or on_line is None
            or in_stmt is None
            or (on_line.group(2) != in_stmt.group(2))
        ):
            self.fail("a table statement that does not start its line with the table", raw)
        engine = _ENGINE.search(flat) if flat[:6].upper() == b"CREATE" else None
        if engine is not None and engine.group(1).upper() not in _ENGINES:
            self.fail(f"table engine {engine.group(1).decode()} (InnoDB, MyISAM, Aria only)", raw)

    def finish(self) -> DumpFacts:
        if self.open is not None or self.head.strip():
            self.start = self.start or self.facts.lines
            self.fail("an unterminated statement at the end (truncated dump?)", self.raw)
        return self.facts

    def fail(self, reason: str, statement: bytes) -> None:
        raise DumpRefusedError(self.name, self.start or self.facts.lines, reason, statement)


_INSERT_VALUES = re.compile(
    rb"\s*(?:INSERT|REPLACE)(?:\s+IGNORE)?\s+INTO\s+" + _T + rb"\s*(?:\([^()]*\))?\s*VALUES?\b",
    re.I,
)
_INSERT_TABLE = re.compile(rb"\s*(?:INSERT|REPLACE)(?:\s+IGNORE)?\s+INTO\s+(" + _T + rb")", re.I)


def _unquote(name: bytes) -> str:
    if name.startswith(b"`"):
        name = name[1:-1].replace(b"``", b"`")
    return name.decode("utf-8", "replace")


_CREATE_NAME = re.compile(rb"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(" + _T + rb")", re.I)


def check_lines(
    lines: Iterable[bytes], name: str = "the dump", database: str | None = None
) -> DumpFacts:
    """Check a whole dump, line by line; DumpRefusedError names the first refused line."""
    checker = DumpChecker(name, database)
    for line in lines:
        checker.feed(line)
    return checker.finish()


def checked_lines(checker: DumpChecker, lines: Iterable[bytes]) -> Iterator[tuple[bool, bytes]]:
    """Yield ``(starts_a_statement, line)`` while checking; for stream rewriting."""
    for line in lines:
        at_start = checker.between_statements
        checker.feed(line)
        yield at_start, line
    checker.finish()
