"""Credentials reach the client tools only through a 0600 option file, never argv."""

from __future__ import annotations

import stat

import pytest

from wpfleet.content.dbconn import DbSpec, client_argv, defaults_file
from wpfleet.errors import UsageError


def test_the_password_is_in_a_0600_file_that_goes_away() -> None:
    spec = DbSpec("127.0.0.1", 3307, "gc_user", 'p"w\\x y', "gc_db")
    with defaults_file(spec) as cnf:
        assert stat.S_IMODE(cnf.stat().st_mode) == 0o600
        text = cnf.read_text()
        assert 'password="p\\"w\\\\x y"' in text
        argv = client_argv("mariadb", cnf, "gc_db")
        assert argv[1] == f"--defaults-extra-file={cnf}"
        assert not any('p"w' in a for a in argv)
    assert not cnf.exists()
    assert 'p"w' not in repr(spec)


def test_a_database_name_must_be_plain() -> None:
    with pytest.raises(UsageError, match="not a plain identifier"):
        DbSpec("h", 1, "u", "p", "db`; DROP")
