"""The synthetic IPLOS data generator (docs/generator.md).

``generate(spec)`` yields the documents a :class:`GenerationSpec` describes, ``write(spec,
out_dir)`` streams them to files with a ``manifest.json``; :class:`GenerationRun` gives the
manifest after the documents. All data is synthetic: national ids are Tenor-style (month + 80).
"""

from mockkpr.generator.api import GenerationRun, generate, write
from mockkpr.generator.document import GeneratedDocument
from mockkpr.generator.spec import GenerationSpec

__all__ = ["GeneratedDocument", "GenerationRun", "GenerationSpec", "generate", "write"]
