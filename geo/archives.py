"""Zip archives from users, checked before anything in them is inflated.

A zipped shapefile and an ``.xlsx`` workbook are both zip archives, and a zip can hold
paths that lead out of the folder it is extracted into (``../../.bashrc``), symbolic
links, password-protected members, or a few kilobytes that inflate to gigabytes (a
decompression bomb).  :func:`zip_members` refuses all of these from the archive's central
directory, before a byte is inflated; :func:`extract_members` then writes the checked
members into a folder.  The sizes the directory declares are a true upper bound: Python's
``zipfile`` stops a member at its declared size, and the CRC check fails if the data
disagree.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from geo.problems import DataError

#: The most members (files and folders) an archive may hold.
MAX_ZIP_MEMBERS = 1_000
#: The most an archive may unpack to, in MB (2**20 bytes), all members together.
MAX_UNZIPPED_MB = 1_024
#: The most a member may inflate, as a multiple of its compressed size.  Text tables and
#: workbooks compress 5 to 20 times; a run of zeros compresses a thousand times.
MAX_COMPRESSION_RATIO = 100
#: Members smaller than this are not held to the ratio: however well they compress, they
#: cannot fill a disk (and tiny repetitive files compress very well).
_RATIO_FROM_BYTES = 1 << 20

MB = 1 << 20


def zip_members(path: Path, *, what: str = "zip archive") -> list[zipfile.ZipInfo]:
    """The members of a zip archive, every one checked, from its central directory alone.

    Parameters
    ----------
    path
        The archive.
    what
        What the archive should be, for messages (``"Excel workbook"``).

    Returns
    -------
    The members, folders included, in the archive's order.

    Raises
    ------
    DataError
        When the file is not a zip archive, or holds too many members, a path that leads
        out of its folder, a symbolic link, a password-protected member, the same name
        twice, or more than :data:`MAX_UNZIPPED_MB` or a member inflating more than
        :data:`MAX_COMPRESSION_RATIO` times.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        ValueError,
        NotImplementedError,
    ) as exc:
        raise DataError(path, f"is not a readable {what} ({exc})") from exc
    size = path.stat().st_size
    for member in members:
        # a directory pointing before the file's start, or past its end, is damaged
        if not 0 <= member.header_offset < size:
            raise DataError(path, f"is damaged: {member.filename!r} is not where it is said to be")
    if len(members) > MAX_ZIP_MEMBERS:
        raise DataError(
            path, f"holds {len(members):,} files: the limit is {MAX_ZIP_MEMBERS:,} per archive"
        )
    seen: set[str] = set()
    for member in members:
        _check_member(path, member)
        name = member_path(member).as_posix()
        if name in seen:
            raise DataError(path, f"holds {member.filename!r} twice: the archive is refused")
        seen.add(name)
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_MB * MB:
        raise DataError(
            path,
            f"would unpack to {megabytes_text(total)} MB: the limit is {MAX_UNZIPPED_MB:,} MB",
        )
    return members


def _check_member(path: Path, member: zipfile.ZipInfo) -> None:
    parts = member.filename.replace("\\", "/").split("/")
    if member.filename.startswith(("/", "\\")) or (parts[0][1:2] == ":") or ".." in parts:
        raise DataError(
            path,
            f"holds {member.filename!r}, a path that leads out of the archive's folder: "
            "the archive is refused",
        )
    if stat.S_ISLNK(member.external_attr >> 16):
        raise DataError(path, f"holds {member.filename!r}, a symbolic link: the archive is refused")
    if member.flag_bits & 0x1:
        raise DataError(
            path,
            f"holds {member.filename!r}, which is password-protected: "
            "zip the files again without a password",
        )
    size, packed = member.file_size, max(member.compress_size, 1)
    if size >= _RATIO_FROM_BYTES and size > MAX_COMPRESSION_RATIO * packed:
        raise DataError(
            path,
            f"holds {member.filename!r}, which would inflate {size // packed:,} times "
            f"(to {megabytes_text(size)} MB): refused as a decompression bomb "
            f"(the limit is {MAX_COMPRESSION_RATIO} times)",
        )


def member_path(member: zipfile.ZipInfo) -> PurePosixPath:
    """A member's path inside the archive, ``/``-separated, without empty or ``.`` parts."""
    parts = [p for p in member.filename.replace("\\", "/").split("/") if p not in ("", ".")]
    return PurePosixPath(*parts)


def extract_members(path: Path, members: Iterable[zipfile.ZipInfo], folder: Path) -> None:
    """Write members that :func:`zip_members` checked into ``folder``, keeping their paths.

    Raises
    ------
    DataError
        When a member's data are damaged or compressed by a method that cannot be read.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for member in members:
                if member.is_dir():
                    continue
                target = folder.joinpath(*member_path(member).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
    except NotImplementedError as exc:
        raise DataError(
            path, f"uses a compression method that cannot be read ({exc}): zip it again"
        ) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DataError(path, f"is damaged: {exc}") from exc


def megabytes_text(size: int) -> str:
    """A size in MB, rounded up so that a size over a limit never reads as the limit."""
    return f"{-(-size * 10 // MB) / 10:,g}"
