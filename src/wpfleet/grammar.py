"""The grammars of every operator-supplied value that reaches nginx, php-fpm, PHP, SQL,
htpasswd, a shell or a file path, in one place (issue 11).

A value is either checked here against a grammar that leaves nothing for the target
language to interpret, or escaped for that language where it is rendered (PHP string
literals: ``wordpress.php_str``; SQL: bound parameters, identifiers via ``template.q``).
The checks raise ``ValidationError`` with the value (shortened) and a fix; config
validation turns them into problems naming the file and the key.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from wpfleet.errors import ValidationError
from wpfleet.naming import TENANT_ID_RE, TENANT_ID_RULE

PLACEHOLDER = "{tenant}"
DOMAIN_MAX = 253
LABEL_MAX = 63
DISPLAY_NAME_MAX = 200
ADMIN_USER_MAX = 60  # WordPress's user_login column
EMAIL_MAX = 100  # WordPress's user_email column

#: one lowercase LDH label (letters, digits, inner dashes); IDN only as punycode (xn--)
LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
#: a token safe in nginx and php-fpm config files unquoted: no whitespace, quote, ``;``,
#: ``#``, braces, ``$`` (nginx variables), ``\\`` or control characters
CONFIG_TOKEN_RE = re.compile(r"[A-Za-z0-9_./:@+=,%-]+")
ADMIN_USER_RE = re.compile(r"[A-Za-z0-9_.@-]+")  # WordPress sanitize_user(strict)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")

DOMAIN_RULE = (
    'a domain pattern is a hostname with {tenant} exactly once, e.g. "{tenant}.wpdev.localhost": '
    "lower-case letters, digits and inner dashes in dot-separated labels of at most 63 "
    "characters (an internationalised name only as punycode, xn--...), 253 in all, with no "
    "spaces, quotes, semicolons, other braces or control characters"
)


def short(value: str, limit: int = 60) -> str:
    """A value fit for an error message: repr'd, cut at ``limit`` characters."""
    text = repr(value[:limit])
    return text + f" (+{len(value) - limit} more characters)" if len(value) > limit else text


def label(value: str, limit: int = 40) -> str:
    """A value as part of a key path in an error: as is when it is short and plain,
    else shortened and quoted (a hostile id must not flood or garble the message)."""
    plain = len(value) <= limit and value.isprintable() and " " not in value
    return value if plain else short(value, limit)


def check_fleet_name(fleet: str) -> None:
    """The fleet name becomes a directory, a basic-auth user and AWS names: same grammar
    as a tenant id."""
    if not TENANT_ID_RE.fullmatch(fleet) or len(fleet) > LABEL_MAX:
        raise ValidationError(
            f"fleet name {short(fleet)} is not valid",
            hint=TENANT_ID_RULE.replace("a tenant id", "a fleet name").replace(
                "'goldencrust', 'sunset-bistro'", "'bbws'"
            )
            + "; at most 63 characters",
        )


def check_domain_pattern(pattern: str) -> None:
    """A hostname template: it is written into nginx's ``server_name``, sent as a Host
    header and stored as WordPress's URL, so nothing but a hostname may get through."""
    problem = domain_problem(pattern)
    if problem:
        raise ValidationError(f"domain {short(pattern)}: {problem}", hint=DOMAIN_RULE)


def domain_problem(pattern: str) -> str:
    """What is wrong with a domain pattern, or "" when nothing is."""
    if pattern.count(PLACEHOLDER) != 1:
        return "{tenant} must appear exactly once"
    host = pattern.replace(PLACEHOLDER, "t")
    bad = sorted({c for c in host if not (c.isascii() and (c.isalnum() or c in ".-"))})
    if bad:
        return "it contains " + ", ".join(repr(c) for c in bad[:5])
    if host != host.lower():
        return "it has upper-case letters (write it in lower case)"
    if len(pattern) > DOMAIN_MAX:
        return f"it is {len(pattern)} characters, over {DOMAIN_MAX}"
    for label in host.split("."):
        if not LABEL_RE.fullmatch(label):
            return f"label {label!r} is empty, too long, or starts or ends with a dash"
    return ""


def check_host(host: str) -> None:
    """A host derived from a pattern and a tenant id: a hostname of at most 253."""
    if len(host) > DOMAIN_MAX or not all(LABEL_RE.fullmatch(p) for p in host.split(".")):
        raise ValidationError(
            f"host {short(host)} is not a valid hostname",
            hint="shorten the tenant id or the domain pattern (labels <= 63, total <= 253)",
        )


def check_display_name(name: str) -> None:
    """A tenant's display name goes into pages (escaped by WordPress) and the database
    (bound parameters): any printable text, but bounded and without control characters."""
    if not name.strip():
        raise ValidationError("display name is empty", hint="give the tenant a name")
    if len(name) > DISPLAY_NAME_MAX:
        raise ValidationError(
            f"display name is {len(name)} characters, over {DISPLAY_NAME_MAX}",
            hint="shorten it",
        )
    controls = [c for c in name if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")]
    if controls:
        raise ValidationError(
            f"display name {short(name)} contains control characters "
            f"({', '.join(repr(c) for c in controls[:3])})",
            hint="remove them (a name is one line of printable text)",
        )


def check_admin_user(user: str) -> None:
    if not ADMIN_USER_RE.fullmatch(user) or len(user) > ADMIN_USER_MAX:
        raise ValidationError(
            f"admin user {short(user)} is not valid",
            hint=f"use 1-{ADMIN_USER_MAX} letters, digits and _ . @ - (WordPress's rule)",
        )


def check_email(email: str) -> None:
    if not EMAIL_RE.fullmatch(email) or len(email) > EMAIL_MAX:
        raise ValidationError(
            f"e-mail address {short(email)} is not valid",
            hint="write it like owner@example.com (no spaces or quotes)",
        )


def check_bind(address: str) -> None:
    """The local backend's listen address: an IP address, nothing else."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValidationError(
            f"bind address {short(address)} is not an IP address",
            hint="use 127.0.0.1 (or another local IP address)",
        ) from None


def config_token(value: object) -> str:
    """``value`` as text, refused unless it is safe unquoted in an nginx or php-fpm
    config file. Called where those files are rendered, as the last line of defence."""
    text = str(value)
    if not CONFIG_TOKEN_RE.fullmatch(text):
        raise ValidationError(
            f"{short(text)} cannot be written into a server configuration",
            hint="paths and names may only use letters, digits and _ . / : @ + = , % -",
        )
    return text
