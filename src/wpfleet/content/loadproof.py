"""The proof of an import, table by table WHILE the load goes on.

The load (:mod:`wpfleet.content.importer`) tells :meth:`EarlyProof.loaded` when a shadow
table is complete: the client has run every statement of that table, then a ``COMMIT``,
and printed a marker. That table is then measured (rows counted in the database, old
hosts, serialized values through PHP, URLs) in a thread while the client loads the next
tables. :meth:`EarlyProof.finish` measures what was not measured early (the last table,
a table the dump went back to after its marker, a table whose early measure failed),
so the proof always reads each table as it stands once the load is over.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence

from wpfleet.content.dbconn import DbSpec
from wpfleet.content.dbproof import DbProof, measure_tables, merge


class EarlyProof:
    """Measures shadow tables (``prefix + name``) in a thread as they are loaded."""

    def __init__(
        self, spec: DbSpec, prefix: str, *, old_hosts: Sequence[str], table_prefix: str, php: str
    ) -> None:
        self.spec, self.prefix, self.php = spec, prefix, php
        self.old_hosts, self.table_prefix = old_hosts, table_prefix
        self.parts: dict[str, DbProof] = {}
        self.names: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def loaded(self, name: str) -> None:
        """Table ``name`` of the dump is complete in the database."""
        self.names.put(name)

    def _measure(self, names: list[str]) -> DbProof:
        return measure_tables(
            self.spec,
            {n: self.prefix + n for n in names},
            old_hosts=self.old_hosts,
            table_prefix=self.table_prefix,
            php=self.php,
        )

    def _run(self) -> None:
        while (name := self.names.get()) is not None:
            try:
                self.parts[name] = self._measure([name])
            except Exception:  # measured again by finish(), which raises what it raises
                self.parts.pop(name, None)

    def close(self) -> None:
        """Stop the thread (after the table it is measuring)."""
        if self.thread.is_alive():
            self.names.put(None)
            self.thread.join()

    def finish(self, tables: Sequence[str], again: set[str]) -> DbProof:
        """The measures of ``tables`` once the load is over; ``again``: tables written
        after they were announced loaded (measured anew)."""
        self.close()
        rest = [t for t in tables if t not in self.parts or t in again]
        if rest:
            late = self._measure(rest)
            for t in rest:
                self.parts.pop(t, None)
            return merge([*(self.parts[t] for t in tables if t in self.parts), late])
        return merge([self.parts[t] for t in tables])
