"""Secret files: JSON, mode 0600 in 0700 directories, written atomically, never regenerated.

Generated values use an alphabet without quotes or backslashes, so a value is the same
byte string in JSON, in a PHP single-quoted literal and in a MySQL option file.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from wpfleet.errors import BackendError

PASSWORD_ALPHABET = string.ascii_letters + string.digits
SALT_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~"

_lock = threading.Lock()


def password(length: int = 32) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def salt(length: int = 64) -> str:
    return "".join(secrets.choice(SALT_ALPHABET) for _ in range(length))


def read_secret(path: Path) -> dict[str, str] | None:
    """The secret's values, or None when the file does not exist."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise BackendError(f"cannot read secret file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise BackendError(f"secret file {path} is not a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def secret_mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return None


def write_secret(path: Path, data: dict[str, str]) -> None:
    """Write atomically: the temporary file is 0600 from its first byte."""
    make_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def make_private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents with mode 0700."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def ensure_secret(path: Path, generators: dict[str, Callable[[], str]]) -> dict[str, str]:
    """The secret with at least the keys of ``generators``: existing values are kept,
    only missing keys are generated, and the mode is forced to 0600."""
    with _lock:
        current = read_secret(path) or {}
        missing = {k: gen() for k, gen in generators.items() if k not in current}
        if missing or secret_mode(path) != 0o600:
            write_secret(path, {**current, **missing})
        return {**current, **missing}


def remove_secret(path: Path) -> None:
    path.unlink(missing_ok=True)


def mask(text: str, values: Iterable[Any]) -> str:
    """``text`` with every secret value replaced by ``***`` (for hashing and logs)."""
    for value in sorted((str(v) for v in values if v), key=len, reverse=True):
        text = text.replace(value, "***")
    return text
