"""What is wrong with an envelope, as a value the endpoint can answer in either form.

An :class:`EnvelopeProblem` names the AppRec error code (code list 8221) *and* the transport
error condition (profile §4) of one defect, so the endpoint can answer with a transport error
(the profile's choice for envelope defects) or with an AppRec, without mapping again.

Parsing an envelope raises :class:`EnvelopeError` (a :class:`~mockkpr.errors.TransportError`)
carrying the problems; its ``condition``, ``description`` and ``data`` are ready for the
``errorCondition``, ``errorDescription`` and ``errorConditionData`` properties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mockkpr.envelope.codes import ErrorCode
from mockkpr.errors import TransportError

NOT_WELL_FORMED = "transport:not-well-formed-xml"
UNSUPPORTED = "transport:unsupported-message"

# errorDescription per condition; the profile gives the text for not-well-formed XML.
_DESCRIPTIONS = {NOT_WELL_FORMED: "Could not deserialize payload"}

#: At most this many problems are kept; the last one then says how many were left out.
MAX_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class EnvelopeProblem:
    """One defect of a MsgHead or AppRec envelope.

    ``code`` is the AppRec error code, ``condition`` the transport error condition, ``text``
    an English explanation and ``location`` where it is (``/MsgHead/MsgInfo/Type/@V``,
    ``line 3``), or None when the whole document is meant.
    """

    code: ErrorCode
    condition: str
    text: str
    location: str | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.text}" if self.location else self.text


class EnvelopeError(TransportError):
    """An envelope that cannot be used; ``problems`` says why (at least one, in order).

    ``condition`` is the first problem's condition; ``data`` lists every problem as
    ``location: text`` (semicolons replaced, since the items are joined with ``;``).
    """

    def __init__(self, problems: Sequence[EnvelopeProblem]) -> None:
        if not problems:
            raise ValueError("an EnvelopeError needs at least one problem")
        kept = list(problems[:MAX_PROBLEMS])
        if len(problems) > MAX_PROBLEMS:
            kept.append(EnvelopeProblem(kept[0].code, kept[0].condition,
                                        f"{len(problems) - MAX_PROBLEMS} more problems not listed"))
        first = kept[0]
        super().__init__(
            first.condition,
            _DESCRIPTIONS.get(first.condition, first.text),
            tuple(str(p).replace(";", ",") for p in kept),
        )
        self.problems: tuple[EnvelopeProblem, ...] = tuple(kept)


def problem(code: ErrorCode, text: str, location: str | None = None) -> EnvelopeProblem:
    """A problem with the transport condition that belongs to ``code``.

    T01 and T02 (not XML, not valid) are ``transport:not-well-formed-xml``; T10 (format not
    supported) is ``transport:unsupported-message``; anything else is reported as
    not-well-formed, the profile's condition for envelope defects.
    """
    condition = UNSUPPORTED if code is ErrorCode.T10 else NOT_WELL_FORMED
    return EnvelopeProblem(code, condition, text, location)
