"""How the client reads an answer's AMQP layout from proton's own Message class."""

from __future__ import annotations

from proton import Message

from mockkpr.client.sender import Wire


def test_an_answer_without_a_content_type_reads_as_none_not_the_text_none() -> None:
    """proton's Message.content_type gives symbol('None') for an absent content type; a
    receiver comparing it with the original's would see a content type nobody sent."""
    assert Message().content_type == "None"  # the trap, as proton has it
    assert Wire.of(Message(body=b"x")).content_type is None


def test_an_answer_with_a_content_type_reads_it() -> None:
    message = Message(body=b"x", content_type="application/pkcs7-mime; smime-type=enveloped-data")
    assert Wire.of(message).content_type == "application/pkcs7-mime; smime-type=enveloped-data"
