"""A generated document: a name, a kind and content produced lazily, in chunks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from mockkpr.errors import ConfigError
from mockkpr.iplos.formats import DocumentKind, Generation


@dataclass
class GeneratedDocument:
    """One generated document. Its content is produced when first read or written; ``size``
    and ``sha256`` are filled in as it streams."""

    name: str
    kind: DocumentKind
    generation: Generation
    _produce: Callable[[], Iterator[bytes]] = field(repr=False)
    size: int = 0
    sha256: str | None = None
    _consumed: bool = field(default=False, repr=False)

    def chunks(self) -> Iterator[bytes]:
        """The document as UTF-8 chunks (once: a document is generated as it is read)."""
        if self._consumed:
            raise ConfigError(f"{self.name}: already generated; documents stream once")
        self._consumed = True
        digest = hashlib.sha256()
        for chunk in self._produce():
            digest.update(chunk)
            self.size += len(chunk)
            yield chunk
        self.sha256 = digest.hexdigest()

    def write_to(self, stream: IO[bytes]) -> int:
        """Stream the document into ``stream``; returns the number of bytes written."""
        for chunk in self.chunks():
            stream.write(chunk)
        return self.size

    def read(self) -> bytes:
        """The whole document (for small outputs: it is held in memory)."""
        return b"".join(self.chunks())

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind.value, "generation": self.generation.value,
                "bytes": self.size, "sha256": self.sha256}
