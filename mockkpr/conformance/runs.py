"""What the harness makes the sender do, case by case: the runs of the catalogue.

Every run starts from a reset journal. The baseline sends the identity file and then the IPLOS
file of a small synthetic annual report with no fault armed; most cases judge it. Each fault
run arms one scenario - a packaged one from :mod:`mockkpr.faults.library` or one written here -
and sends the IPLOS file once (an annual IPLOS file is accepted without its identity file, so
it can be sent again and again). Receipt timeouts are short where a case waits for something
that must not come.
"""

from __future__ import annotations

from mockkpr.conformance.model import Data, Prepare, Role, Run, Send
from mockkpr.faults import Scenario, library_scenario, parse_scenario
from mockkpr.iplos import Generation

#: The receipt timeout (seconds) of sends that wait for a receipt that never comes.
SHORT_TIMEOUT = 2.0
#: The size NHN quotes for one queued message; larger messages are split (profile §1).
PART_LIMIT = 1 << 20

_ANNUAL = Data()
_BOTH = (Send(Role.IDENTITY), Send(Role.IPLOS))
_IPLOS = (Send(Role.IPLOS),)

BASELINE = Run("baseline", "send the identity file, then the IPLOS file (annual 2019); "
               "no fault", Prepare(_ANNUAL), _BOTH)
ANNUAL_2018 = Run("annual-2018", "send an annual 2018 identity file, then its IPLOS file",
                  Prepare(Data(Generation.ANNUAL_2018, year=2018)), _BOTH)
EVENT_56 = Run("event-56", "send a 56.0.0 event message",
               Prepare(Data(Generation.EVENT_56, year=2024, persons=5)), _IPLOS)
# about 5 KB per person: 320 persons make an IPLOS file of about 1.6 MB, two parts of 1 MiB
LARGE_FILE = Run("large-file", "send the identity file, then an IPLOS file of about 1.6 MB",
                 Prepare(Data(persons=320)), _BOTH)


def _fault(name: str, scenario: str, summary: str, *, timeout: float | None = None,
           quiet: float = 0.2, advance_clock_after: str | None = None) -> Run:
    return Run(name, summary, Prepare(_ANNUAL, scenario), (Send(Role.IPLOS, timeout),),
               advance_clock_after=advance_clock_after, quiet=quiet)


# ------------------------------------------------------------------ packaged scenarios
DROPPED_CONNECTION = _fault("retry-after-dropped-connection", "retry-after-dropped-connection",
                            "the TCP connection drops once the IPLOS message is in")
RESEND_AFTER_REJECT = _fault("resend-after-reject", "resend-after-reject",
                             "the delivery is rejected once with amqp:internal-error")
STOP_AFTER_OK = _fault("stop-after-ok-apprec", "stop-after-ok-apprec",
                       "settlement is held back 2 s; the AppRec is OK", quiet=1.0)
MISSING_APPREC = _fault("missing-apprec", "missing-apprec", "no AppRec is sent",
                        timeout=SHORT_TIMEOUT)
CREDIT_STARVATION = _fault("credit-starvation", "credit-starvation",
                           "the sender's link gets no credit for 5 s")
REPORTING_DEADLINE = _fault("reporting-deadline", "reporting-deadline",
                            "the endpoint's clock stands a minute before 15 January ends")
REJECTED_APPREC = _fault("rejected-apprec", "rejected-apprec",
                         "the AppRec has status 2 (Avvist) with errors T02 and E10")
FORGED_APPREC = _fault("forged-apprec", "forged-apprec",
                       "the AppRec is signed with a certificate that is not KPR's")
LATE_APPREC = _fault("late-apprec", "late-apprec", "the AppRec is due two days later "
                     "(the harness then moves the endpoint's clock on)",
                     advance_clock_after="late")

# ------------------------------------------------------------------ scenarios of the suite
DETACH_YAML = """\
name: conformance-detach-link
description: Does the sender attach a new link and deliver after its link is detached?
faults:
  - id: detach
    kind: detach-link
    condition: amqp:internal-error
    error_description: "mockkpr fault: link detached"
    when: {subject: KPR_IPL}
expect:
  - name: the link was detached
    fault: detach
    count: 1
  - name: the message was delivered on a new link and accepted
    match: {subject: KPR_IPL, outcome: accepted}
    min: 1
"""
RELEASE_YAML = """\
name: conformance-release
description: Does the sender send again after its delivery is released?
faults:
  - id: release
    kind: release
    when: {subject: KPR_IPL}
expect:
  - name: the delivery was released
    fault: release
    count: 1
  - name: the message was sent again and accepted
    match: {subject: KPR_IPL, outcome: accepted}
    min: 1
"""
MODIFY_YAML = """\
name: conformance-modify
description: Does the sender send again after its delivery is modified (delivery-failed)?
faults:
  - id: modify
    kind: modify
    delivery_failed: true
    when: {subject: KPR_IPL}
expect:
  - name: the delivery was modified
    fault: modify
    count: 1
  - name: the message was sent again and accepted
    match: {subject: KPR_IPL, outcome: accepted}
    min: 1
"""
PARTIAL_YAML = """\
name: conformance-partial-apprec
description: Does the sender show an AppRec with status 3 (OK, feil i delmelding) and its errors?
faults:
  - id: partial
    kind: apprec-status
    status: 3
    errors:
      - {code: E31, text: "Pasientens fødselsnummer er feil (mockkpr fault)"}
    when: {subject: KPR_IPL}
expect:
  - name: the AppRec with status 3 was sent
    match: {subject: KPR_IPL, apprec_status: 3}
    count: 1
"""
WRONG_KEY_YAML = """\
name: conformance-apprec-wrong-key
description: Does the sender refuse an AppRec it cannot decrypt (encrypted to another key)?
faults:
  - id: wrong-key
    kind: forged-apprec
    problem: wrong-key
    when: {subject: KPR_IPL}
expect:
  - name: an undecryptable AppRec was sent
    fault: wrong-key
    count: 1
"""
ORPHAN_YAML = """\
name: conformance-orphan-apprec
description: Does the sender ignore an AppRec that answers another message?
faults:
  - id: orphan
    kind: orphan-apprec
    when: {subject: KPR_IPL}
expect:
  - name: an AppRec for another message was sent instead
    fault: orphan
    count: 1
"""
TRANSPORT_ERROR_YAML = """\
name: conformance-transport-error
description: Does the sender read a transport error from its error queue and report it?
faults:
  - id: transport-error
    kind: transport-error
    condition: transport:internal-error
    error_description: "mockkpr fault: transport error"
    when: {subject: KPR_IPL}
expect:
  - name: a transport error was sent to the error queue
    fault: transport-error
    count: 1
"""
FORGERY_YAML = """\
name: conformance-forged-{problem}
description: Does the sender refuse an AppRec that {what}?
faults:
  - id: forged
    kind: forged-apprec
    problem: {problem}
    when: {{subject: KPR_IPL}}
expect:
  - name: the forged AppRec was sent
    fault: forged
    count: 1
"""
#: The condition the transport-error run sends (the sender must show it).
TRANSPORT_ERROR_CONDITION = "transport:internal-error"

DETACH_LINK = _fault("detach-link", DETACH_YAML,
                     "the sender's link is detached with amqp:internal-error once")
RELEASE = _fault("release", RELEASE_YAML, "the delivery is released once")
MODIFY = _fault("modify", MODIFY_YAML, "the delivery is modified (delivery-failed) once")
PARTIAL_APPREC = _fault("partial-apprec", PARTIAL_YAML,
                        "the AppRec has status 3 (OK, feil i delmelding) with error E31")
WRONG_KEY_APPREC = _fault("apprec-wrong-key", WRONG_KEY_YAML,
                          "the AppRec is encrypted to a key the sender does not hold")
ORPHAN_APPREC = _fault("orphan-apprec", ORPHAN_YAML,
                       "the only AppRec answers another message", timeout=SHORT_TIMEOUT)
TRANSPORT_ERROR = _fault("transport-error", TRANSPORT_ERROR_YAML,
                         "a transport error comes back on the sender's error queue")


def _forgery(problem: str, what: str) -> Run:
    return _fault(f"forged-{problem}", FORGERY_YAML.format(problem=problem, what=what),
                  f"the AppRec {what}")


OTHER_PARTY_APPREC = _forgery("other-party-certificate", "is signed with another party's valid "
                              "certificate (same CA as KPR's)")
EXPIRED_APPREC = _forgery("expired-certificate", "is signed with an expired certificate in "
                          "KPR's name")
REVOKED_APPREC = _forgery("revoked-certificate", "is signed with a revoked certificate in KPR's "
                          "name")
CHANGED_APPREC = _forgery("changed-content", "carries KPR's valid signature over another "
                          "AppRec (its Status was changed after signing)")
WRONG_RECIPIENT_APPREC = _forgery("wrong-recipient", "is encrypted for another party of the "
                                  "register")


def scenario_of(run: Run) -> Scenario | None:
    """The scenario a run arms: packaged by name, or written out as YAML."""
    text = run.prepare.scenario
    if text is None:
        return None
    if "\n" not in text:
        return library_scenario(text)
    return parse_scenario(text, source=f"scenario of run {run.name}")
