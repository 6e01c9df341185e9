"""The search-replace pairs that move a site from one host to another.

A WordPress database names its host in many spellings: ``https://host``, ``http://host``,
scheme-less ``//host`` (protocol-relative links), the bare ``host`` (e-mail addresses,
options holding just the domain), JSON-escaped ``https:\\/\\/host`` (Gutenberg block
attributes, REST caches) and URL-encoded ``https%3A%2F%2Fhost`` (share links, redirect
parameters). :func:`url_pairs` gives one pair per spelling, in an order that is safe:

* a longer OLD runs before every OLD it contains (``https://host`` before ``//host``
  before ``host``), so the more specific pair decides, e.g. the scheme changes only where
  the scheme is spelled;
* when the new host contains the old one (``site.test`` → ``dev.site.test``), the
  bare-host pair would match again inside every host just written (``dev.dev.site.test``):
  such a move is refused unless ``allow_nested`` is given, and then the bare-host pairs
  are left out (links with ``//`` still move);
* hosts with a port (local environments) also get a port-less bare pair (``a.localhost``
  → ``b.localhost``) for e-mail addresses and the like.

:func:`wpfleet.content.searchreplace.search_replace` itself adds the JSON-escaped and
URL-encoded forms of every pair it is given; :func:`url_pairs` lists them explicitly
only when ``escaped_forms`` is True (for tools that replace literally).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from wpfleet.errors import UsageError

_HOST_RE = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$"
)


def check_host(host: str, what: str = "host") -> str:
    """``host`` (``name`` or ``name:port``) or a UsageError naming what is wrong."""
    if not _HOST_RE.match(host):
        raise UsageError(
            f"{what} {host!r} is not a host name (optionally with :PORT)",
            hint="give e.g. goldencrust.wpdev.kimmyai.io or goldencrust.dev.localhost:8088",
        )
    return host


def url_pairs(
    old_host: str,
    new_host: str,
    *,
    old_scheme: str | None = None,
    new_scheme: str | None = None,
    escaped_forms: bool = False,
    allow_nested: bool = False,
) -> list[tuple[str, str]]:
    """Pairs that rewrite every spelling of ``old_host`` to ``new_host``, in a safe order.

    Hosts may carry a port (``site.dev.localhost:8088``). With ``old_scheme`` and
    ``new_scheme`` (``"http"``/``"https"``), links in the old scheme move to the new one
    (``http://old`` → ``https://new``); otherwise each scheme is kept. The result is
    ordered longest OLD first, which is the order search-replace must apply them in.
    """
    old, new = check_host(old_host, "old host"), check_host(new_host, "new host")
    if old.lower() == new.lower():
        raise UsageError(f"old and new host are the same: {old}", hint="nothing to move")
    nested = old.lower() in new.lower()
    if nested and not allow_nested:
        raise UsageError(
            f"the new host {new} contains the old one {old}: a bare-host pair would match "
            "again inside every host it has just written",
            hint="pass allow_nested=True: the bare-host pairs are then left out",
        )
    pairs: list[tuple[str, str]] = []
    for scheme in ("https", "http"):
        target = new_scheme if old_scheme == scheme and new_scheme else scheme
        pairs.append((f"{scheme}://{old}", f"{target}://{new}"))
    pairs.append((f"//{old}", f"//{new}"))
    if not nested:
        pairs.append((old, new))
        old_name, new_name = _name(old), _name(new)
        if (old_name, new_name) != (old, new) and old_name.lower() not in new_name.lower():
            pairs.append((old_name, new_name))  # e-mail addresses etc. name no port
    if escaped_forms:
        base = list(pairs)
        pairs += [(o.replace("/", "\\/"), n.replace("/", "\\/")) for o, n in base if "/" in o]
        pairs += [(quote(o, safe=""), quote(n, safe="")) for o, n in base]
    return safe_order(pairs)


def _name(host: str) -> str:
    """The host without its port (``[::1]:8080`` → ``[::1]``)."""
    head, sep, port = host.rpartition(":")
    return head if sep and port.isdigit() and not head.endswith(":") else host


def safe_order(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Longest OLD first (stable), duplicates dropped: no pair runs after one it contains."""
    seen: set[str] = set()
    unique = []
    for old, new in pairs:
        if old not in seen:
            seen.add(old)
            unique.append((old, new))
    return sorted(unique, key=lambda p: -len(p[0]))


def check_order(pairs: list[tuple[str, str]]) -> None:
    """Refuse pairs where a shorter OLD runs before a longer OLD that contains it.

    Such an order breaks the longer one's matches before it can run (``host`` before
    ``https://host`` leaves nothing for the second pair to find).
    """
    for i, (short, _) in enumerate(pairs):
        for long, _ in pairs[i + 1 :]:
            if short in long and short != long:
                raise UsageError(
                    f"pair {short!r} runs before {long!r}, which contains it: the longer "
                    "pair would never match",
                    hint="order the pairs longest OLD first (see url_pairs / safe_order)",
                )
