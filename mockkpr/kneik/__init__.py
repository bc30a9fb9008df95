"""KPR's HTTP submission API ("kneik") with a fake HelseID: a front door onto the receiver.

Since 2021 the register also takes IPLOS 56.0.0 event messages over HTTP (kpr-http-api.md):
a JSON header and the CMS-protected document, authenticated with a HelseID access token.
This package serves that route beside the AMQP ones and imports neither of them:

- :mod:`mockkpr.kneik.body` reads a submission's JSON (names in any letter case);
- :mod:`mockkpr.kneik.helseid` is the fake HelseID (client assertions, access tokens);
- :mod:`mockkpr.kneik.codes` names the ``validationCode`` of each problem;
- :mod:`mockkpr.kneik.app` has the routes, :mod:`mockkpr.kneik.server` the TLS port.

Processing is the :class:`~mockkpr.service.pipeline.Receiver`'s
(:meth:`~mockkpr.service.pipeline.Receiver.process_payload`); docs/http-api.md says what is
public fact and what is mockkpr's choice.
"""

from mockkpr.kneik.server import HttpApi

__all__ = ["HttpApi"]
