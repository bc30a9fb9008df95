"""The generator's Python interface: :func:`generate` yields documents, :func:`write` files.

Example (tests, the conformance suite)::

    from mockkpr.generator import GenerationSpec, generate, write
    from mockkpr.iplos import Generation, validate

    spec = GenerationSpec("0301", 2019, persons=50, seed=7, generation=Generation.ANNUAL_2019)
    iplos, identity = (doc.read() for doc in generate(spec))
    report = validate(iplos, identity=identity)

    manifest = write(spec, Path("out"))   # streams the files, then writes manifest.json

Documents are produced lazily and streamed in chunks: :meth:`GeneratedDocument.write_to`
copies one to a binary stream in bounded memory, :meth:`GeneratedDocument.read` returns its
bytes (for small outputs). Consume the documents in the order they are yielded; for 56.0.0
messages the running numbers and GUID chain continue from one message into the next.
:class:`GenerationRun` gives access to the manifest once every document has been consumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from mockkpr import __version__
from mockkpr.errors import ConfigError, InputError
from mockkpr.generator import defects as D
from mockkpr.generator.annual import created_date
from mockkpr.generator.contacts import (
    EPJ_VENDOR,
    IPLOS_CONTACT,
    SUBMISSION_RESPONSIBLE,
    make_contacts,
)
from mockkpr.generator.document import GeneratedDocument
from mockkpr.generator.model import World
from mockkpr.generator.rows import iso_date
from mockkpr.generator.spec import GenerationSpec, check_spec
from mockkpr.generator.stats import Stats
from mockkpr.iplos.formats import NS_2018, NS_2019, DocumentKind, Generation
from mockkpr.refdata import kommuner

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
MODEL_VERSION = 2
"""The generator's model version (``generator.model`` in the manifest): what a seed gives. It
moves whenever the output for a given spec and seed changes (docs/generator.md,
"Determinism"). 1: each person drawn with its own reseeded ``random.Random``; 2: annual
persons drawn in blocks with NumPy (56.0.0 output as in 1)."""
Progress = Callable[[int], None]


class GenerationRun:
    """One generation: checks the spec, plans defects, yields the documents, then knows the
    manifest. ``progress`` is called with the number of persons done since the last call."""

    def __init__(self, spec: GenerationSpec, progress: Progress | None = None) -> None:
        check_spec(spec)
        self.spec = spec
        self.progress = progress
        self.world = World(spec)
        self.stats = Stats()
        self.documents_made: list[GeneratedDocument] = []
        generation = spec.generation
        D.check_defects(spec.defects, generation, None)
        self.plan = D.DefectPlan(spec.defects, self.world)
        if generation is Generation.EVENT_56:
            from mockkpr.generator.events import EventRun

            self._events: EventRun | None = EventRun(self.world, self.stats, progress)
            self.contacts = make_contacts(spec.seed, (IPLOS_CONTACT, SUBMISSION_RESPONSIBLE))
            self._events.prepare()
            names = self._events.message_names()
            D.check_defects(spec.defects, generation, len(names))
            self.plan.place_documents(names, [])
            self.plan.place_notifications(self._events.total, self._events.last_key,
                                          self._events.person_notes)
        else:
            from mockkpr.generator.blocks import Population  # NumPy: annual only

            self._events = None
            self.population = Population(self.world)
            self.world.annual = self.population
            types = (IPLOS_CONTACT, SUBMISSION_RESPONSIBLE, EPJ_VENDOR)
            self.contacts = make_contacts(spec.seed, types)
            D.check_defects(spec.defects, generation, 1)
            namespace = NS_2018 if generation is Generation.ANNUAL_2018 else NS_2019
            self.plan.place_persons(spec.persons, self.population.person,
                                    (self.iplos_name, self.identity_name), namespace)
            self.plan.place_documents([self.iplos_name], [self.identity_name])

    # ------------------------------------------------------------------ names
    @property
    def _stem(self) -> str:
        bydel = f"_{self.spec.bydel}" if self.spec.bydel else ""
        return f"{self.spec.kommune}{bydel}_{self.spec.year}"

    @property
    def iplos_name(self) -> str:
        return f"KPR_IPL_{self._stem}.xml"

    @property
    def identity_name(self) -> str:
        return f"KPR_IDE_{self._stem}.xml"

    # ------------------------------------------------------------------ documents
    def documents(self) -> Iterator[GeneratedDocument]:
        """The documents in order: annual -> KPR_IPL then KPR_IDE; 56.0.0 -> the messages."""
        generation = self.spec.generation
        if self._events is not None:
            for document in self._events.documents(self.contacts, self.plan):
                self.documents_made.append(document)
                yield document
            return
        from mockkpr.generator.render_block import annual_chunks, identity_chunks

        world = self.world
        population = self.population
        iplos = GeneratedDocument(
            self.iplos_name, DocumentKind.IPLOS, generation,
            lambda: annual_chunks(world, population, self.contacts, self.plan, self.stats,
                                  self.iplos_name, self.progress))
        self.documents_made.append(iplos)
        yield iplos
        identity = GeneratedDocument(
            self.identity_name, DocumentKind.IDENTITY, generation,
            lambda: identity_chunks(world, population, self.plan, self.identity_name))
        self.documents_made.append(identity)
        yield identity

    def write_annual(self, iplos: IO[bytes], identity: IO[bytes]) -> None:
        """Write both annual documents in one pass over the persons (what :func:`write`
        does): the same bytes as streaming :meth:`documents` one after the other, with each
        block of persons drawn once."""
        from mockkpr.generator.render_block import IdentityWriter, annual_chunks

        assert self._events is None
        spec, world = self.spec, self.world
        names = (self.iplos_name, self.identity_name)
        sink = _Sink((iplos, identity))
        put = sink.put
        ide = IdentityWriter(world, self.plan, names[1])
        try:
            for chunk in annual_chunks(world, self.population, self.contacts, self.plan,
                                       self.stats, names[0], self.progress,
                                       lambda block, size: put(1, ide.add_block(block, size))):
                put(0, chunk)
            put(1, ide.finish())
        except BaseException:
            sink.close(quiet=True)  # the error at hand is the one to tell
            raise
        sink.close()
        for n, kind in enumerate((DocumentKind.IPLOS, DocumentKind.IDENTITY)):
            done = GeneratedDocument(names[n], kind, spec.generation, lambda: iter(()),
                                     size=sink.sizes[n], sha256=sink.digests[n].hexdigest())
            self.documents_made.append(done)

    # ------------------------------------------------------------------ manifest
    def _generator_json(self) -> dict[str, Any]:
        """What made the output: mockkpr, the model version, and the versions of the
        libraries whose output it includes (Faker's contacts, NumPy's draws for annual)."""
        made = {"name": "mockkpr", "version": __version__, "model": MODEL_VERSION,
                "faker": metadata.version("faker")}
        if self._events is None:
            made["numpy"] = metadata.version("numpy")
        return made

    def manifest(self) -> dict[str, Any]:
        """What was generated: spec, documents (size, sha256), counts, providers, contacts
        and every injected defect with its location. Complete once all documents streamed."""
        spec = self.spec
        unfinished = [d.name for d in self.documents_made if d.sha256 is None]
        if unfinished or not self.documents_made:
            raise ConfigError(f"manifest: documents not generated yet: {unfinished or 'all'}")
        spec_json = asdict(spec)
        spec_json["generation"] = spec.generation.value
        spec_json["defects"] = dict(sorted(spec.defects.items()))
        return {
            "manifest_version": MANIFEST_VERSION,
            "generator": self._generator_json(),
            "spec": spec_json,
            "kommune": {"number": spec.kommune,
                        "name": kommuner.kommune_name(spec.kommune, spec.year),
                        "sending_bydel": self.world.sending_bydel},
            "created": iso_date(created_date(self.world)),
            "documents": [d.as_json() for d in self.documents_made],
            "counts": self.stats.as_json(),
            "providers": {"institutions": list(self.world.providers.institutions),
                          "home_care": list(self.world.providers.home_care),
                          "other_units": list(self.world.providers.other_units)},
            "contacts": [asdict(c) for c in self.contacts],
            "defects": [record.as_json() for record in self.plan.records],
        }


class _Sink:
    """Writes chunks to their streams and hashes them on a thread of its own, while the next
    persons are drawn: file writes and hashlib let go of the GIL, so on a machine with a
    second core this part costs the generator next to nothing. At most ``depth`` chunks
    wait; an error writing is raised again in the caller (at the next put or at close)."""

    def __init__(self, streams: tuple[IO[bytes], ...], depth: int = 2) -> None:
        self.streams = streams
        self.digests = [hashlib.sha256() for _ in streams]
        self.sizes = [0 for _ in streams]
        self.error: BaseException | None = None
        self._queue: queue.Queue[tuple[int, bytes] | None] = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._drain, name="mockkpr-generate-writer",
                                        daemon=True)
        self._thread.start()

    def put(self, n: int, chunk: bytes) -> None:
        """Queue ``chunk`` for stream ``n``."""
        if self.error is not None:
            raise self.error
        self._queue.put((n, chunk))

    def close(self, *, quiet: bool = False) -> None:
        """Wait for every queued chunk to be written; raise a write error, if one came
        (unless ``quiet``)."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None and not quiet:
            raise self.error

    def _drain(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is not None:
                continue  # keep taking chunks so that the producer never blocks
            n, chunk = item
            try:
                self.streams[n].write(chunk)
                self.digests[n].update(chunk)
                self.sizes[n] += len(chunk)
            except BaseException as exc:  # handed to the producer, which raises it
                self.error = exc


def generate(spec: GenerationSpec, progress: Progress | None = None
             ) -> Iterator[GeneratedDocument]:
    """Yield the documents ``spec`` describes, in order (see the module docstring).

    Raises :class:`~mockkpr.errors.ConfigError` for a spec that cannot be generated (unknown
    kommune for the year, year outside the generation's range, unknown or non-injectable
    defect rule...) before anything is produced.
    """
    return GenerationRun(spec, progress).documents()


def write(spec: GenerationSpec, out_dir: Path, progress: Progress | None = None
          ) -> dict[str, Any]:
    """Write every document of ``spec`` into ``out_dir`` (created if needed), streaming, then
    ``manifest.json``; returns the manifest. Files are written under a temporary name and
    renamed when complete."""
    run = GenerationRun(spec, progress)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the output directory ({exc.strerror})"
                         ) from None
    if spec.generation is Generation.EVENT_56:
        for document in run.documents():
            _atomic(out_dir / document.name, document.write_to)
    else:
        with _Partial(out_dir / run.identity_name) as identity:
            _atomic(out_dir / run.iplos_name,
                    lambda iplos: run.write_annual(iplos, identity.stream))
    manifest = run.manifest()
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    _atomic(out_dir / MANIFEST_NAME, lambda stream: stream.write(text.encode()))
    return manifest


class _Partial:
    """A file written under a temporary name and renamed into place on success."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")

    def __enter__(self) -> _Partial:
        try:
            self.stream: IO[bytes] = self.partial.open("wb")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot write ({exc.strerror})") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.stream.close()
        if kind is None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


def _atomic(path: Path, writer: Callable[[IO[bytes]], object]) -> None:
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as stream:
            writer(stream)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
