"""How the content engine reaches one tenant's site, whatever the backend: its database
as the tenant's own user, its wp-content moved whole as a gzip tar (``SiteFiles``), and
where its restore points are kept (``RestorePoints``).

Plain data and small interfaces: backends sit below the content engine and never import
it. The local implementations (a directory on this machine) live here too; the AWS ones
(a one-off ECS task and S3) in ``backends/aws/content.py``."""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from wpfleet.treearchive import ArchiveInfo, archive_tree, extract_tree


class SiteFiles(ABC):
    """A site's wp-content, moved whole: ``pull`` writes it as a gzip tar on this
    machine, ``push`` replaces it with one, all at once (modes kept; nothing outside the
    tree, no links out of it, as ``wpfleet.treearchive`` rules)."""

    #: where the files are, for messages (a path, an access point)
    where: str = ""

    @abstractmethod
    def pull(self, archive: Path) -> ArchiveInfo: ...

    @abstractmethod
    def push(self, archive: Path) -> ArchiveInfo: ...


class RestorePoints(ABC):
    """Where one tenant's restore points of one environment are kept. A point is a
    directory (dump, manifest, wp-content archive) written and read on this machine;
    ``location`` is what the state store records of it."""

    @abstractmethod
    def writing(self, point: str) -> AbstractContextManager[Path]:
        """A directory to write ``point`` into; kept when the block ends without error."""

    @abstractmethod
    def location(self, point: str) -> str: ...

    @abstractmethod
    def reading(self, location: str) -> AbstractContextManager[Path]:
        """The point's directory on this machine for the block's duration."""

    @abstractmethod
    def exists(self, location: str) -> bool: ...

    @abstractmethod
    def delete(self, location: str) -> None: ...


@dataclass(frozen=True)
class ContentAccess:
    """A tenant's site as the content engine needs it."""

    db_host: str
    db_port: int
    db_user: str
    db_password: str = field(repr=False)
    database: str
    files: SiteFiles
    points: RestorePoints
    url: str  # the site's home URL, no trailing slash
    wp_root: Path | None = None


class LocalFiles(SiteFiles):
    """wp-content as a directory on this machine: a file copy through a tar that keeps
    modes and (numeric) owners."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def pull(self, archive: Path) -> ArchiveInfo:
        return archive_tree(self.path, archive)

    def push(self, archive: Path) -> ArchiveInfo:
        return extract_tree(archive, self.path)


class LocalRestorePoints(RestorePoints):
    """Restore points as directories under ``root`` (0700), written in place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextmanager
    def writing(self, point: str) -> Iterator[Path]:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        out = self.root / point
        try:
            yield out
        except BaseException:
            shutil.rmtree(out, ignore_errors=True)
            raise

    def location(self, point: str) -> str:
        return str(self.root / point)

    @contextmanager
    def reading(self, location: str) -> Iterator[Path]:
        yield Path(location)

    def exists(self, location: str) -> bool:
        return Path(location, "database.sql.gz").is_file()

    def delete(self, location: str) -> None:
        shutil.rmtree(location, ignore_errors=True)
