"""``GET /api/messages/{message_id}/apprec``: the AppRec as sent, the exact protected bytes
(or, with ``?document=true``, its XML before signing and encryption).

The body is what went to the sender's ``_async`` queue: CMS signed by KPR and encrypted to the
sender, so only a holder of the sender's key (a test with the registry, the pytest plugin's
``KprEndpoint.apprec``) reads it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from mockkpr.journal.models import Outcome
from mockkpr.journal.store import Journal


def answers_router(journal: Journal) -> APIRouter:
    """The AppRec route over ``journal``."""
    router = APIRouter(tags=["messages"])

    @router.get("/api/messages/{message_id}/apprec", response_class=Response,
                summary="The AppRec sent for a message: the protected (CMS) bytes as sent, or "
                "its XML",
                responses={200: {"content": {"application/pkcs7-mime": {},
                                             "application/xml": {}}},
                           404: {"description": "Unknown message, or no AppRec was sent."},
                           409: {"description": "Still being processed."}})
    def apprec(message_id: str, document: Annotated[bool, Query(
            description="The AppRec's XML as built, before signing and encryption, instead "
                        "of the bytes sent.")] = False) -> Response:
        entry = journal.get_by_message_id(message_id)
        if entry is None:
            raise HTTPException(404, f"no message with message-id or MsgId {message_id!r}")
        if entry.outcome is Outcome.PENDING:
            raise HTTPException(409, f"message {message_id!r} is still being processed")
        sent = [a for a in entry.answers if a.kind == "apprec"]
        if not sent:
            raise HTTPException(404, f"no AppRec was sent for message {message_id!r} "
                                     f"(outcome {entry.outcome.value})")
        message = sent[-1].message
        if document:
            if message.document is None:
                raise HTTPException(404, f"the AppRec of message {message_id!r} was not kept "
                                         "as XML")
            return Response(message.document, media_type="application/xml")
        return Response(message.body, media_type=message.content_type or
                        "application/pkcs7-mime")

    return router
