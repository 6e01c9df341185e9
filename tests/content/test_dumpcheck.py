"""The dump checker: a tenant-supplied dump holds tables and rows, nothing else."""

from __future__ import annotations

import io

import pytest

from tests.content.test_searchreplace import make_dump
from wpfleet.content.dumpcheck import DumpChecker, DumpRefusedError, check_lines

GOOD = make_dump("goldencrust.wpdev.kimmyai.io")


def check(data: bytes, database: str | None = "tenant_db") -> None:
    check_lines(io.BytesIO(data), "dump.sql", database)


def test_a_mysqldump_passes_and_its_tables_are_listed() -> None:
    facts = check_lines(io.BytesIO(GOOD), "dump.sql", "tenant_db")
    assert facts.sandbox_line
    assert facts.tables == ["wp_options", "wp_posts", "wp_postmeta"]
    assert facts.statements > 10


def test_strings_may_say_anything() -> None:
    check(
        b"INSERT INTO `t` VALUES (1,'\\\\! touch /tmp/pwned; USE x; DROP DATABASE y;'),"
        b"(2,'multi\nline\nsystem rm -rf /\n;GRANT ALL'),(3,\"DEFINER=`root`@`%`\");\n"
        b"-- a comment: USE other_db; it's fine\n"
        b"/* a comment \\! not a command\n spanning lines */\n"
    )


REFUSED = [
    (b"\\! touch /tmp/pwned\n", 3, "a client command"),
    (b"system touch /tmp/pwned\n", 3, "a client command"),
    (b"\\. /etc/passwd\n", 3, "a client command"),
    (b"source /etc/passwd\n", 3, "a client command"),
    (b"UNLOCK TABLES; \\! id\n", 3, "a client command"),
    (b"SET NAMES utf8; system id\n", 3, "a client command"),
    (b"USE other_tenant_db;\n", 3, "USE of database 'other_tenant_db'"),
    (b"USE `other_tenant_db`;\n", 3, "USE of database 'other_tenant_db'"),
    (b"DROP DATABASE tenant_db;\n", 3, "a database statement"),
    (b"/*!40000 DROP DATABASE x */;\n", 3, "a database statement"),
    (b"CREATE DATABASE x;\n", 3, "a database statement"),
    (b"CREATE USER 'x'@'%';\n", 3, "a user or grant statement"),
    (b"ALTER USER 'x'@'%' IDENTIFIED BY 'y';\n", 3, "a user or grant statement"),
    (b"DROP USER x;\n", 3, "a user or grant statement"),
    (b"GRANT ALL ON *.* TO x;\n", 3, "a user or grant statement"),
    (b"REVOKE ALL ON *.* FROM x;\n", 3, "a user or grant statement"),
    (b"SET PASSWORD FOR root = PASSWORD('x');\n", 3, "a password change"),
    (b"SET GLOBAL general_log = 1;\n", 3, "a statement an import does not run"),
    (b"/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n", 3, "a DEFINER"),
    (b"LOAD DATA INFILE '/etc/passwd' INTO TABLE t;\n", 3, "reading server files"),
    (b"SELECT * FROM wp_users INTO OUTFILE '/tmp/x';\n", 3, "writing server files"),
    (b"INSERT INTO t VALUES (1,(SELECT LOAD_FILE('/x')));\n", 3, "an INSERT whose"),
    (b"INSERT INTO t VALUES (1,(SELECT password FROM mysql.user));\n", 3, "an INSERT whose values"),
    (b"INSERT INTO t SELECT * FROM other.t;\n", 3, "a statement an import does not run"),
    (b"DROP TABLE other.wp_users;\n", 3, "a statement an import does not run"),
    (b"CREATE TABLE t (a int) DATA DIRECTORY='/tmp';\n", 3, "a statement an import does not run"),
    (b"DELIMITER ;;\n", 3, "a DELIMITER change"),
    (b"DROP TABLE IF EXISTS\n`wp_posts`;\n", 3, "a table statement that does not start"),
    (b"UNLOCK TABLES; DROP TABLE `wp_posts`;\n", 3, "a table statement that does not start"),
    (b"CREATE TABLE m (a int) ENGINE=MERGE UNION=(wp_posts);\n", 3, "a table that names"),
    (b"CREATE TABLE m (a int) ENGINE=FEDERATED;\n", 3, "table engine FEDERATED"),
    (b"CREATE TABLE c (a int REFERENCES wp_posts (ID));\n", 3, "a table that names"),
    (b"CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW SET @a=1;\n", 3, "a trigger"),
    (b"INSERT INTO t VALUES ('unterminated\n", 3, "an unterminated statement"),
]


@pytest.mark.parametrize(("bad", "line", "reason"), REFUSED)
def test_refused_with_the_line_and_statement(bad: bytes, line: int, reason: str) -> None:
    head = b"-- MariaDB dump\nSET NAMES utf8mb4;\n"
    with pytest.raises(DumpRefusedError) as err:
        check(head + bad + b"INSERT INTO t VALUES (1);\n")
    message = str(err.value)
    assert f"dump.sql line {line}: refused {reason}" in message
    assert any(part.strip()[:20].decode() in message for part in bad.split(b";") if part.strip())
    assert err.value.line == line


def test_use_of_the_target_database_is_fine() -> None:
    check(b"USE `tenant_db`;\nINSERT INTO t VALUES (1);\n")
    with pytest.raises(DumpRefusedError, match="USE of database 'tenant_db'"):
        check(b"USE `tenant_db`;\n", database=None)


def test_the_line_number_of_a_late_statement() -> None:
    dump = GOOD + b"\n" * 5 + b"\\! touch /tmp/pwned\n"
    lines = GOOD.count(b"\n") + 6
    with pytest.raises(DumpRefusedError, match=f"line {lines}: refused a client command"):
        check(dump)


def test_only_the_first_line_may_be_the_sandbox_line() -> None:
    with pytest.raises(DumpRefusedError, match="line 2: refused a client command"):
        check(b"-- dump\n/*M!999999\\- enable the sandbox mode */\n")


def test_statement_starts_are_known_for_rewriting() -> None:
    checker = DumpChecker("d")
    starts = []
    for line in [b"INSERT INTO t VALUES ('a\n", b"b');\n", b"UNLOCK TABLES;\n"]:
        starts.append(checker.between_statements)
        checker.feed(line)
    assert starts == [True, False, True]
    checker.finish()
