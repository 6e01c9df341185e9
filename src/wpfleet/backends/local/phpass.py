"""WordPress's password hashes (phpass "portable" ``$P$`` hashes, as ``wp_hash_password``
makes them in WordPress 6.1), so a cloned site's admin gets its password without a
php-cli process."""

from __future__ import annotations

import hashlib
import secrets

ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ITERATION_COUNT_LOG2 = 8  # new PasswordHash(8, true)


def encode64(data: bytes, count: int) -> str:
    """phpass's own base64 (little-endian groups), translated statement by statement."""
    out: list[str] = []
    i = 0
    while True:
        value = data[i]
        i += 1
        out.append(ITOA64[value & 0x3F])
        if i < count:
            value |= data[i] << 8
        out.append(ITOA64[(value >> 6) & 0x3F])
        done, i = i >= count, i + 1
        if done:
            break
        if i < count:
            value |= data[i] << 16
        out.append(ITOA64[(value >> 12) & 0x3F])
        done, i = i >= count, i + 1
        if done:
            break
        out.append(ITOA64[(value >> 18) & 0x3F])
        if i >= count:
            break
    return "".join(out)


def crypt_private(password: str, setting: str) -> str:
    count = 1 << ITOA64.index(setting[3])
    salt = setting[4:12]
    secret = password.encode()
    digest = hashlib.md5(salt.encode() + secret).digest()
    for _ in range(count):
        digest = hashlib.md5(digest + secret).digest()
    return setting[:12] + encode64(digest, 16)


def hash_password(password: str) -> str:
    setting = (
        "$P$" + ITOA64[min(ITERATION_COUNT_LOG2 + 5, 30)] + encode64(secrets.token_bytes(6), 6)
    )
    return crypt_private(password, setting)


def check_password(password: str, stored: str) -> bool:
    return stored.startswith("$P$") and secrets.compare_digest(
        crypt_private(password, stored), stored
    )
