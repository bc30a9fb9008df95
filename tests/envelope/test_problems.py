"""Envelope problems as values and as the transport error the endpoint sends."""

from __future__ import annotations

import pytest

from mockkpr.envelope.codes import ErrorCode
from mockkpr.envelope.problems import (
    MAX_PROBLEMS,
    NOT_WELL_FORMED,
    UNSUPPORTED,
    EnvelopeError,
    EnvelopeProblem,
    problem,
)
from mockkpr.errors import TransportError


def test_codes_map_to_the_profiles_conditions() -> None:
    assert problem(ErrorCode.T01, "x").condition == NOT_WELL_FORMED
    assert problem(ErrorCode.T02, "x").condition == NOT_WELL_FORMED
    assert problem(ErrorCode.T10, "x").condition == UNSUPPORTED


def test_error_carries_condition_description_and_data_items() -> None:
    error = EnvelopeError([problem(ErrorCode.T02, "bad; worse", "/MsgHead/MsgInfo"),
                           problem(ErrorCode.T02, "whole document")])
    assert isinstance(error, TransportError)
    assert error.condition == "transport:not-well-formed-xml"
    assert error.description == "Could not deserialize payload"
    assert error.data == ("/MsgHead/MsgInfo: bad, worse", "whole document")
    assert str(error) == ("transport:not-well-formed-xml: Could not deserialize payload "
                          "(/MsgHead/MsgInfo: bad, worse;whole document;)")


def test_unsupported_message_describes_itself() -> None:
    error = EnvelopeError([problem(ErrorCode.T10, "message function 'X' is not supported")])
    assert (error.condition, error.description) == (UNSUPPORTED,
                                                    "message function 'X' is not supported")


def test_problems_are_capped_with_a_count_of_the_rest() -> None:
    many = [problem(ErrorCode.T02, f"problem {i}") for i in range(MAX_PROBLEMS + 5)]
    error = EnvelopeError(many)
    assert len(error.problems) == MAX_PROBLEMS + 1
    assert error.problems[-1] == EnvelopeProblem(ErrorCode.T02, NOT_WELL_FORMED,
                                                 "5 more problems not listed")


def test_an_error_without_problems_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        EnvelopeError([])
