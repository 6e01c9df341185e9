"""Decoding stored records: unknown keys (from a newer wpfleet) are ignored."""

from __future__ import annotations

import pytest

from wpfleet.state import records


def test_unknown_keys_are_ignored_and_numbers_typed() -> None:
    data = {"key": "dev/a", "owner": "h:1:x", "host": "h", "pid": "1", "acquired_at": 5,
            "expires_at": 6, "deployment_id": "d", "added_in_v2": True}  # fmt: skip
    lock = records.lock_info(data)
    assert (lock.pid, lock.acquired_at) == (1, 5.0) and isinstance(lock.expires_at, float)


def test_first_free_and_empty_keys() -> None:
    assert records.first_free([5, 6, 7], {5, 6}) == 7
    assert records.first_free([5], {5}) is None
    with pytest.raises(ValueError, match="empty document key"):
        records.check_key("")
