"""Content the promotion, clone and domain-move tests put into a site, and the PHP check
they read it back with (both backends' tests use them)."""

from __future__ import annotations

import subprocess
from typing import Any

NOW = "2026-12-01 10:00:00"


def ser(text: str) -> str:
    """PHP's serialization of a string."""
    return f's:{len(text.encode())}:"{text}";'


def nested_option(url: str) -> str:
    """A serialized array holding ``url``/x, and ``url``/nested in a serialized string."""
    inner = ser(f"{url}/nested")
    return "a:2:{" + ser("url") + ser(f"{url}/x") + ser("inner") + ser(inner) + "}"


def add_post_and_option(conn: Any, url: str, body: str, option: str, name: str) -> int:
    """A published post with ``body`` (its guid under ``url``) and the option ``name``;
    the post's id."""
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO wp_posts (post_author, post_date, post_date_gmt, post_content, "
            "post_title, post_excerpt, post_status, post_name, to_ping, pinged, post_modified, "
            "post_modified_gmt, post_content_filtered, post_type, guid) VALUES "
            "(1, %s, %s, %s, 'Moved post', '', 'publish', 'moved-post', '', '', %s, %s, '', "
            "'post', %s)",
            (NOW, NOW, body, NOW, NOW, f"{url}/?p=moved"),
        )
        post_id = int(cur.lastrowid)
        cur.execute(
            "INSERT INTO wp_options (option_name, option_value, autoload) VALUES (%s, %s, 'no')",
            (name, option),
        )
    return post_id


def option_in_php(conn: Any, name: str) -> str:
    """The option ``name`` as PHP's own unserialize() reads it: its ``url``, a space, and
    its ``inner`` string unserialized too. Closes ``conn``."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT option_value FROM wp_options WHERE option_name = %s", (name,))
            (value,) = cur.fetchone()
    finally:
        conn.close()
    php = subprocess.run(
        ["php", "-r", '$v = unserialize(stream_get_contents(STDIN)); '
         'echo $v["url"], " ", unserialize($v["inner"]);'],
        input=value, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return php.stdout


def seed_site(conn: Any, url: str) -> int:
    """What a promotion must carry: a post linking to ``url`` with a Gutenberg block whose
    image URL is JSON-escaped (an upload, hello.txt), and the option ``wpfleet_test``
    from :func:`nested_option`. The post's id; closes ``conn``."""
    escaped = url.replace("/", "\\/")
    block = f'<!-- wp:image {{"url":"{escaped}\\/wp-content\\/uploads\\/hello.txt"}} -->'
    body = f'<p><a href="{url}/about/">About us</a></p>\n{block}'
    try:
        return add_post_and_option(conn, url, body, nested_option(url), "wpfleet_test")
    finally:
        conn.close()
