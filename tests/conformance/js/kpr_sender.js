// An independent KPR sender, written apart from mockkpr's own client: Node's rhea for AMQP 1.0,
// the openssl command for CMS, its own MsgHead template. It follows the sender-command contract
// of `mockkpr certify` (docs/conformance.md) and what NHN's profile says a sender does:
// TLS + SASL PLAIN, one data section, string application properties, sign (SHA-256, no signed
// attributes) then encrypt (AES-256-CBC) to KPR's certificate, a resend after a lost connection,
// a detached link or a released/modified/rejected(internal-error) delivery under the SAME
// message-id, and an AppRec trusted only when KPR's registered certificate signed it.
//
// Usage: node kpr_sender.js FILE URL REGISTRY FROM TO TIMEOUT [FLAW]
// FLAW (a deliberately broken variant): "new-id" gives every resend a new message-id;
// "chain-only" trusts any AppRec whose signer chains to the CA, not only KPR's certificate.
// Exit: 0 AppRec status 1, 1 status 2 or 3, 2 transport error / no or untrusted receipt.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const rhea = require('rhea');
const YAML = require('yaml');

const [file, url, registryFile, fromArg, toArg, timeoutArg, flaw] = process.argv.slice(2);
const from = Number(fromArg);
const to = Number(toArg);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kpr-sender-'));

function say(line) { process.stderr.write(`kpr_sender: ${line}\n`); }

let finished = false;
let connection = null;
function finish(code, line) {
  if (finished) return;
  finished = true;
  (code === 0 || code === 1 ? process.stdout : process.stderr).write(`${line}\n`);
  fs.rmSync(work, { recursive: true, force: true });
  process.exitCode = code;
  // close properly, so that the receipt's disposition (accepted) reaches the bus
  if (connection && connection.is_open()) {
    connection.once('connection_close', () => process.exit(code));
    connection.once('disconnected', () => process.exit(code));
    connection.close();
    setTimeout(() => process.exit(code), 2000).unref();
  } else {
    process.exit(code);
  }
}

// ------------------------------------------------------------------ the registry
const registryDir = path.dirname(path.resolve(registryFile));
const registry = YAML.parse(fs.readFileSync(registryFile, 'utf8'));
const rel = (p) => path.resolve(registryDir, p);
const party = (id) => registry.parties.find((p) => p.her_id === id);
const me = party(from);
const kpr = party(to);
if (!me || !kpr) finish(2, `no party ${from} or ${to} in ${registryFile}`);
const queue = (p, kind) => ((p.queues || {})[kind]) || `${p.her_id}_${kind}`;

// ------------------------------------------------------------------ the message
function stamp(date) { return date.toISOString().replace(/\.\d{3}Z$/, 'Z'); }

function escape(text) { return text.replace(/&/g, '&amp;').replace(/</g, '&lt;'); }

function msghead(document, msgType, msgId) {
  const content = document.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
  const org = (p) => `<Organisation><OrganisationName>${escape(p.name)}</OrganisationName>` +
    `<Ident><Id>${p.her_id}</Id><TypeId V="HER" S="2.16.578.1.12.4.1.1.9051" DN="HER-id"/>` +
    '</Ident></Organisation>';
  return '<?xml version="1.0" encoding="UTF-8"?>' +
    '<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"><MsgInfo>' +
    `<Type V="${msgType}" DN="${msgType === 'KPR_IDE' ? 'Identitetsmelding' : 'IPLOS-melding'}"/>` +
    `<MIGversion>v1.2 2006-05-24</MIGversion><GenDate>${new Date().toISOString()}</GenDate>` +
    `<MsgId>${msgId}</MsgId><Ack V="J" DN="Ja"/>` +
    `<Sender>${org(me)}</Sender><Receiver>${org(kpr)}</Receiver></MsgInfo>` +
    '<Document><RefDoc><MsgType V="XML" DN="XML-instans"/>' +
    `<Content>${content}</Content></RefDoc></Document></MsgHead>`;
}

function openssl(args) {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

function protect(xml) {
  const plain = path.join(work, 'msghead.xml');
  const signed = path.join(work, 'signed.der');
  const enveloped = path.join(work, 'enveloped.der');
  fs.writeFileSync(plain, xml);
  openssl(['cms', '-sign', '-binary', '-nodetach', '-noattr', '-md', 'sha256',
    '-signer', rel(me.signing_certificate), '-inkey', rel(me.signing_key),
    '-in', plain, '-outform', 'DER', '-out', signed]);
  openssl(['cms', '-encrypt', '-binary', '-aes-256-cbc', '-inform', 'DER', '-in', signed,
    '-outform', 'DER', '-out', enveloped, rel(kpr.encryption_certificate)]);
  return fs.readFileSync(enveloped);
}

const document = fs.readFileSync(file, 'utf8');
const msgType = /<(\w+:)?IdentMelding[\s>]/.test(document) ? 'KPR_IDE' : 'KPR_IPL';
const msgId = crypto.randomUUID();
const body = protect(msghead(document, msgType, msgId));
let messageId = crypto.randomUUID();
const outgoing = () => ({
  message_id: messageId, correlation_id: messageId, to: queue(kpr, 'async'),
  reply_to: queue(me, 'async'), subject: msgType,
  content_type: 'application/pkcs7-mime; smime-type=signed-and-enveloped-data',
  application_properties: { fromHerId: String(from), toHerId: String(to),
    applicationTimeStamp: stamp(new Date()),
    enqueuedTimeUtc: stamp(new Date()).replace('Z', '') },
  body: rhea.message.data_section(body),
});

// ------------------------------------------------------------------ the AppRec
function trusted(der) {
  const enveloped = path.join(work, 'apprec.der');
  const signed = path.join(work, 'apprec-signed.der');
  const signer = path.join(work, 'apprec-signer.pem');
  fs.writeFileSync(enveloped, der);
  try {
    openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', enveloped,
      '-recip', rel(me.encryption_certificate), '-inkey', rel(me.encryption_key),
      '-out', signed]);
  } catch (e) { return { problem: 'cannot decrypt the AppRec' }; }
  const trust = path.join(work, 'ca-and-crl.pem');  // openssl reads CRLs from the CA file
  fs.writeFileSync(trust, Buffer.concat([fs.readFileSync(rel(registry.ca_certificate)),
    fs.readFileSync(rel(registry.crl))]));
  let xml;
  try {  // the chain to the CA, dates and the CRL
    xml = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', signed,
      '-CAfile', trust, '-crl_check', '-purpose', 'any', '-signer', signer]).toString('utf8');
  } catch (e) { return { problem: `the AppRec signature does not verify: ${e.stderr}` }; }
  if (flaw !== 'chain-only') {  // and it must be KPR's registered certificate
    const fingerprint = (p) => openssl(['x509', '-in', p, '-noout', '-fingerprint',
      '-sha256']).toString().trim();
    if (fingerprint(signer) !== fingerprint(rel(kpr.signing_certificate))) {
      return { problem: 'the AppRec is not signed by KPR\'s registered certificate' };
    }
  }
  return { xml };
}

function readApprec(xml) {
  const status = (xml.match(/<(?:\w+:)?Status\b[^>]*\bV="(\d)"/) || [])[1];
  const original = (xml.match(/<(?:\w+:)?OriginalMsgId\b[\s\S]*?<(?:\w+:)?Id>([^<]+)</) ||
    [])[1];
  const errors = [...xml.matchAll(/<(?:\w+:)?Error\b[^>]*\bV="(\w+)"[^>]*?(?:DN="([^"]*)")?/g)]
    .map((m) => `${m[1]} ${m[2] || ''}`.trim());
  return { status, original, errors };
}

// ------------------------------------------------------------------ AMQP
const target = new URL(url);
const exchange = target.pathname.replace(/^\//, '') || 'NHNTESTServiceBus';
const account = me.sasl || (party(me.parent) || {}).sasl;
let deliveries = 0;
let accepted = false;
let sender = null;

let resendDue = false;
function resend(why) {
  if (finished || accepted || resendDue) return;  // rhea may report one outcome twice
  resendDue = true;
  if (deliveries >= 6 || Date.now() > deadline) finish(2, `not delivered: ${why}`);
  say(`sending again (${why})`);
  setTimeout(() => { if (sender && sender.sendable()) transmit(sender); }, 300);
}

function transmit(link) {
  if (finished || accepted) return;
  resendDue = false;
  if (deliveries > 0 && flaw === 'new-id') messageId = crypto.randomUUID();  // the flaw
  deliveries += 1;
  link.send(outgoing(), crypto.randomBytes(16));
}

const container = rhea.create_container({ id: `kpr-sender-${crypto.randomUUID()}` });
let sentOnce = false;
container.on('connection_open', (context) => {
  context.connection.open_receiver({ source: `/amq/queue/${queue(me, 'async')}` });
  context.connection.open_receiver({ source: `/amq/queue/${queue(me, 'error')}` });
  sender = context.connection.open_sender({
    target: { address: `/exchange/${exchange}/${queue(kpr, 'async')}` } });
});
container.on('sendable', (context) => {
  if (!sentOnce || (!accepted && deliveries > 0 && context.sender === sender &&
                    context.sender.mockkprFresh)) {
    sentOnce = true;
    context.sender.mockkprFresh = false;
    transmit(context.sender);
  }
});
container.on('sender_open', (context) => { context.sender.mockkprFresh = deliveries > 0; });
container.on('accepted', () => { accepted = true; });
container.on('released', () => resend('released'));
container.on('modified', (context) => {
  if (context.delivery.remote_state && context.delivery.remote_state.undeliverable_here) {
    finish(2, 'the bus refused the message (modified, undeliverable here)');
  }
  resend('modified');
});
container.on('rejected', (context) => {
  const error = (context.delivery.remote_state || {}).error || {};
  if (error.condition === 'amqp:internal-error') return resend('rejected: internal error');
  return finish(2, `the bus refused the message: ${error.condition}: ${error.description}`);
});
container.on('sender_error', (context) => {
  const error = context.sender.error || {};
  if (error.condition === 'amqp:not-found' || error.condition === 'amqp:unauthorized-access') {
    finish(2, `the sender link was refused: ${error.condition}: ${error.description}`);
  }
});
container.on('sender_close', (context) => {
  if (finished || accepted || !context.connection.is_open()) return;
  say('the link was detached; attaching again');
  setTimeout(() => {
    sender = context.connection.open_sender({
      target: { address: `/exchange/${exchange}/${queue(kpr, 'async')}` } });
    sender.mockkprFresh = true;
  }, 300);
});
container.on('disconnected', (context) => {
  if (finished) return;
  say(`connection lost: ${context.error ? context.error.message : 'closed'}; connecting again`);
  sender = null;
  setTimeout(connect, 300);
});

container.on('message', (context) => {
  if (finished) return;  // the answer is in; anything later stays for the next run
  const message = context.message;
  const props = message.application_properties || {};
  if (props.errorCondition !== undefined) {
    if (props.originalMessageId !== messageId) return;
    context.delivery.accept();
    return finish(2, `transport error ${props.errorCondition}: ${props.errorDescription} ` +
      `${props.errorConditionData || ''}`.trim());
  }
  const raw = Buffer.isBuffer(message.body) ? message.body : message.body.content;
  const correlated = String(message.correlation_id) === messageId;
  const opened = trusted(raw);
  if (opened.problem) {
    if (correlated) finish(2, `a receipt came back but cannot be trusted: ${opened.problem}`);
    return;
  }
  const apprec = readApprec(opened.xml);
  if (!correlated && apprec.original !== msgId) return;  // another message's receipt
  context.delivery.accept();  // taken off the queue before the connection closes
  if (apprec.status === '1') return finish(0, 'ACCEPTED: AppRec status 1 (OK)');
  return finish(1, `REJECTED: AppRec status ${apprec.status}; errors: ` +
    apprec.errors.join(', '));
});

function connect() {
  if (finished) return;
  if (Date.now() > deadline) finish(2, 'no connection before the timeout');
  connection = container.connect({
    host: target.hostname, port: Number(target.port || 5671), transport: 'tls',
    ca: [fs.readFileSync(rel(registry.ca_certificate))], servername: target.hostname,
    username: account.user, password: account.password, reconnect: false,
    idle_time_out: 30000,
  });
}

connect();
setTimeout(() => finish(2, `no answer within ${timeoutArg} s`),
  Math.max(deadline - Date.now(), 1)).unref();
setInterval(() => {}, 1000).unref();
