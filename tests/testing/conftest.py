"""The plugin's tests run pytest inline (``pytester.runpytest``), which forgets every module
first imported during an inline run once it ends. Extension modules cannot be loaded twice in
one process, so the second inline run that needs them would fail with "cannot load module
more than once per process" whenever no earlier test happened to import them. Importing them
here, before any inline run, keeps them loaded whatever order the tests run in."""

import numpy  # noqa: F401  (the conformance harness generates documents with it)
