"""The decrypted MsgHead with its document left out, for the journal and the web view.

The journal keeps the document a MsgHead carried (``JournalEntry.payload``); keeping the
whole envelope as well would store every document twice. :func:`envelope_outline` keeps the
envelope's own lines and puts one comment where the document's lines were, so that the
envelope can be shown with its real line numbers before and after the document.
"""

from __future__ import annotations

import re

_START_TAG = re.compile(rb"<[^\s/>]+")


def envelope_outline(envelope: bytes, payload: bytes, payload_line: int) -> bytes | None:
    """``envelope`` with the lines of ``payload`` (from ``payload_line``, 1-based) replaced.

    ``payload`` is the document as :func:`mockkpr.envelope.parse_msghead` returned it: its
    line *n* is line ``payload_line + n - 1`` of the envelope. What precedes the document on
    its first line and follows it on its last (``<Content>``, ``</Content>``) is kept around
    the comment. Returns None when the two do not line up (a start tag the parser put on one
    line that the sender wrote on several, say): better nothing than a misleading outline.
    Costs two passes in C over the envelope and a loop over its own few lines.
    """
    span = payload.count(b"\n") + 1
    total = envelope.count(b"\n") + 1
    first = payload_line - 1  # 0-based index of the document's first line
    after = first + span  # 0-based index of the first line after the document
    if payload_line < 1 or after > total:
        return None
    head = 0
    for _ in range(first):
        head = envelope.index(b"\n", head) + 1
    tail = len(envelope) + 1  # the start of line ``after`` (+1: as if a newline followed)
    for _ in range(total - after):
        tail = envelope.rindex(b"\n", 0, tail - 1) + 1
    first_line_end = envelope.find(b"\n", head)
    first_line = envelope[head:first_line_end if first_line_end >= 0 else len(envelope)]
    last_line = envelope[envelope.rfind(b"\n", 0, max(tail - 1, 0)) + 1:max(tail - 1, head)]
    root = _START_TAG.match(payload)
    if root is None:
        return None
    start = first_line.find(root.group(0))
    closing = b"</" + root.group(0)[1:] + b">"
    end = last_line.rfind(closing)
    end = end + len(closing) if end >= 0 else -1
    if start < 0 or (end < 0 and not payload.rstrip().endswith(b"/>")):
        return None
    suffix = last_line[end:] if end >= 0 else b""
    last = payload_line + span - 1
    comment = (f"<!-- lines {payload_line}-{last}: the {root.group(0)[1:].decode(errors='replace')}"
               " document, shown on its own -->").encode()
    rest = envelope[tail:] if tail <= len(envelope) else b""
    return envelope[:head] + first_line[:start] + comment + suffix + b"\n" + rest
