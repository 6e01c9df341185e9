# ruff: noqa: E501
"""A generated WordPress-like mysqldump for search-replace benchmarks (deterministic).

Shaped like a real site's dump: extended INSERT lines of about 1 MB (mysqldump's
default), wp_posts with long Gutenberg content (JSON-escaped URLs in block attributes,
plain links, most paragraphs naming no host), guids naming the host, wp_postmeta with
serialized attachment metadata and many small values without the host, wp_options with
nested serialized values (a serialized string inside a serialized array), a ``";`` inside
a serialized string, NUL-escaped protected object properties, and a last line without a
newline when asked.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from wpfleet.content.phpserial import PHPObject, dumps
from wpfleet.content.sqldump import sql_escape

HOST = "goldencrust.wpdev.kimmyai.io"
LINE_BYTES = 1_000_000
WORDS = [
    "bread",
    "crust",
    "flour",
    "yeast",
    "oven",
    "bake",
    "sourdough",
    "rye",
    "butter",
    "salt",
    "knead",
    "proof",
    "crumb",
    "loaf",
    "morning",
    "fresh",
    "golden",
    "honey",
    "seed",
    "wheat",
    "starter",
    "dough",
]


def q(value: bytes | str) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return b"'" + sql_escape(data) + b"'"


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def post_content(rng: random.Random, host: str, post_id: int) -> str:
    parts = []
    for i in range(rng.randint(4, 14)):
        if i % 5 == 1:
            attrs = f'{{"id":{post_id + i},"url":"https:\\/\\/{host}\\/wp-content\\/uploads\\/p{i}.jpg"}}'
            parts.append(
                f'<!-- wp:image {attrs} -->\n<figure><img src="https://{host}/p{i}.jpg"/></figure>'
            )
        elif i % 7 == 3:
            parts.append(
                f'<!-- wp:paragraph --><p><a href="http://{host}/?p={post_id}">{_text(rng, 8)}</a></p>'
            )
        else:
            parts.append(
                f"<!-- wp:paragraph --><p>{_text(rng, rng.randint(20, 120))}</p><!-- /wp:paragraph -->"
            )
    return "\n\n".join(parts)


def _post_row(rng: random.Random, host: str, i: int) -> bytes:
    content = post_content(rng, host, i)
    title = _text(rng, 4).title() + ('; it\'s "fresh"' if i % 50 == 0 else "")
    vals = [str(i).encode(), b"1", q("2026-11-01 10:00:00"), q(content), q(title), q(""),
            q("publish"), q(f"post-{i}"), q(f"https://{host}/?p={i}"), q("post"), b"0"]  # fmt: skip
    return b"(" + b",".join(vals) + b")"


def _meta_row(rng: random.Random, host: str, i: int) -> bytes:
    post = i // 4 + 1
    kind = i % 4
    if kind == 0:
        meta = {"width": 1200, "height": 800, "file": f"2026/11/p{i}.jpg",
                "sizes": {s: {"file": f"p{i}-{s}.jpg", "width": w} for s, w in (("thumb", 150), ("medium", 300))},
                "image_meta": {"caption": _text(rng, 5), "credit": ""}}  # fmt: skip
        key, value = "_wp_attachment_metadata", dumps(meta)
    elif kind == 1:
        key, value = "_edit_lock", f"{1700000000 + i}:1".encode()
    elif kind == 2:
        key, value = "_thumbnail_id", str(i).encode()
    else:
        key, value = "_menu_item_url", f"https://{host}/menu/{i}".encode()
    return b"(%d,%d,%s,%s)" % (i, post, q(key), q(value))


def _option_rows(host: str) -> list[bytes]:
    inner = dumps([f"http://{host}/inner", {"deep": dumps(f"https://{host}")}])
    protected = PHPObject("WP_Thing", {"\0*\0url": f"https://{host}/p", "\0WP_Thing\0id": 3})
    opts = [
        ("siteurl", f"https://{host}"),
        ("home", f"https://{host}"),
        (
            "widget_text",
            dumps({2: {"title": 'a ";b', "text": f'<a href="https://{host}/x">";</a>'}}),
        ),
        ("nested_plugin", dumps({"payload": inner})),
        ("protected_props", dumps(protected)),
        ("rest_cache", f'{{"url":"https:\\/\\/{host}\\/api","cb":"https%3A%2F%2F{host}%2Fcb"}}'),
    ]
    return [b"(%d,%s,%s,'yes')" % (i + 1, q(n), q(v)) for i, (n, v) in enumerate(opts)]


def _inserts(table: str, rows: Iterator[bytes], budget: int, line_bytes: int) -> Iterator[bytes]:
    written, line, size = 0, [], 0
    for row in rows:
        line.append(row)
        size += len(row) + 1
        if size >= line_bytes:
            yield b"INSERT INTO `%s` VALUES %s;\n" % (table.encode(), b",".join(line))
            written += size
            line, size = [], 0
            if written >= budget:
                return
    if line:
        yield b"INSERT INTO `%s` VALUES %s;\n" % (table.encode(), b",".join(line))


def _forever(fn: object, rng: random.Random, host: str) -> Iterator[bytes]:
    i = 0
    while True:
        i += 1
        yield fn(rng, host, i)  # type: ignore[operator]


SCHEMA = """CREATE TABLE `{t}` (
{cols}
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
"""
COLUMNS = {
    "wp_options": "  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `option_name` varchar(191) NOT NULL DEFAULT '',\n  `option_value` longtext NOT NULL,\n  `autoload` varchar(20) NOT NULL DEFAULT 'yes',\n  PRIMARY KEY (`option_id`)",
    "wp_posts": "  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `post_author` bigint(20) unsigned NOT NULL DEFAULT 0,\n  `post_date` datetime NOT NULL,\n  `post_content` longtext NOT NULL,\n  `post_title` text NOT NULL,\n  `post_excerpt` text NOT NULL,\n  `post_status` varchar(20) NOT NULL DEFAULT 'publish',\n  `post_name` varchar(200) NOT NULL DEFAULT '',\n  `guid` varchar(255) NOT NULL DEFAULT '',\n  `post_type` varchar(20) NOT NULL DEFAULT 'post',\n  `comment_count` bigint(20) NOT NULL DEFAULT 0,\n  PRIMARY KEY (`ID`)",
    "wp_postmeta": "  `meta_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `post_id` bigint(20) unsigned NOT NULL DEFAULT 0,\n  `meta_key` varchar(255) DEFAULT NULL,\n  `meta_value` longtext DEFAULT NULL,\n  PRIMARY KEY (`meta_id`)",
}  # fmt: skip


def _table(table: str) -> bytes:
    return (
        f"DROP TABLE IF EXISTS `{table}`;\n" + SCHEMA.format(t=table, cols=COLUMNS[table])
    ).encode() + f"LOCK TABLES `{table}` WRITE;\n".encode()


def generate(
    path: Path,
    size: int,
    *,
    host: str = HOST,
    seed: int = 8,
    newline: bool = True,
    line_bytes: int = LINE_BYTES,
) -> int:
    """Write a dump of about ``size`` bytes to ``path``; returns its exact size."""
    rng = random.Random(seed)
    with open(path, "wb") as out:
        out.write(b"/*M!999999\\- enable the sandbox mode */\n-- MariaDB dump 10.19\n")
        out.write(b"/*!40101 SET NAMES utf8mb4 */;\n")
        out.write(_table("wp_options"))
        out.write(
            b"INSERT INTO `wp_options` VALUES %s;\nUNLOCK TABLES;\n" % b",".join(_option_rows(host))
        )
        out.write(_table("wp_postmeta"))
        for line in _inserts("wp_postmeta", _forever(_meta_row, rng, host), size // 4, line_bytes):
            out.write(line)
        out.write(b"UNLOCK TABLES;\n" + _table("wp_posts"))
        for line in _inserts(
            "wp_posts", _forever(_post_row, rng, host), size * 3 // 4 - 2 * line_bytes, line_bytes
        ):
            out.write(line)
        out.write(b"UNLOCK TABLES;\n-- Dump completed" + (b"\n" if newline else b""))
    return path.stat().st_size
