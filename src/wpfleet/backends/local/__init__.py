"""The local backend: nginx + php-fpm + MariaDB on this machine, run by wpfleet itself."""

from wpfleet.backends.local.backend import LocalBackend

__all__ = ["LocalBackend"]
