// An independent AMQP 1.0 client (Node's rhea) talking to mockkpr like an EPJ's sender:
// TLS + SASL PLAIN, protected bodies (prepared by Python) sent pipelined as data sections with
// string application properties and binary delivery tags, AppRecs received by two receivers,
// one settling first and one with rcv-settle-mode second.
// Usage: node kpr_roundtrip.js HOST PORT CA_PEM USER PASSWORD JOB_JSON OUT_DIR
// JOB_JSON: {"target": ADDRESS, "source": ADDRESS, "expect": N,
//            "messages": [{"file", "message_id", "correlation_id", "subject", "content_type",
//                          "to", "reply_to", "application_properties": {name: string}}]}
// Prints one JSON object: {"sent": {message_id: outcome}, "received": [{"mode", "file",
// "message_id", "correlation_id", "subject", "application_properties", "settled_by_server"}],
// "error": null | text}. Exit 0 when everything expected happened, 1 otherwise.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const rhea = require('rhea');

const [host, port, caFile, username, password, jobFile, outDir] = process.argv.slice(2);
const job = JSON.parse(fs.readFileSync(jobFile));
const result = { sent: {}, received: [], error: null };
let finished = false;
let connection = null;
let sentAll = false;

function finish(error) {
  if (finished) return;
  finished = true;
  result.error = error || null;
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = error ? 1 : 0;
  if (connection) connection.close();
}

function complete() {
  const outcomes = Object.keys(result.sent).length;
  const second = result.received.filter((r) => r.mode === 'second');
  if (outcomes === job.messages.length && result.received.length >= job.expect &&
      second.every((r) => r.settled_by_server)) {
    finish(null);
  }
}

const container = rhea.create_container({ id: 'mockkpr-rhea-roundtrip' });

container.on('connection_open', (context) => {
  context.connection.open_receiver({ source: job.source, credit_window: 10 });  // settle first
  context.connection.open_receiver({ source: job.source, credit_window: 10,
                                     rcv_settle_mode: 1, name: 'second' });
  context.connection.open_sender({ target: { address: job.target } });
});

container.on('sendable', (context) => {
  if (sentAll) return;
  sentAll = true;
  // pipelined: every message goes out before any outcome has come back
  for (const m of job.messages) {
    const tag = crypto.randomBytes(16);  // a binary tag, as NHN's .NET library uses
    const delivery = context.sender.send({
      message_id: m.message_id,
      correlation_id: m.correlation_id,
      to: m.to,
      reply_to: m.reply_to,
      subject: m.subject,
      content_type: m.content_type,
      application_properties: m.application_properties,
      body: rhea.message.data_section(fs.readFileSync(m.file)),
    }, tag);
    delivery.message_id = m.message_id;
  }
});

function outcome(name) {
  return (context) => {
    result.sent[context.delivery.message_id] = name;
    complete();
  };
}
container.on('accepted', outcome('accepted'));
container.on('rejected', outcome('rejected'));
container.on('released', outcome('released'));
container.on('modified', outcome('modified'));

container.on('message', (context) => {
  const message = context.message;
  const body = Buffer.isBuffer(message.body) ? message.body : message.body.content;
  const mode = context.receiver.name === 'second' ? 'second' : 'first';
  const file = path.join(outDir, `apprec-${result.received.length}.der`);
  fs.writeFileSync(file, body);
  const record = {
    mode, file,
    message_id: String(message.message_id),
    correlation_id: String(message.correlation_id),
    subject: message.subject,
    content_type: message.content_type,
    application_properties: message.application_properties,
    settled_by_server: mode === 'first' ? null : false,
  };
  context.delivery.record = record;
  result.received.push(record);
  complete();
});

// rcv-settle-mode second: the server settles after our accepted; rhea then settles too
container.on('settled', (context) => {
  if (context.delivery.record) {
    context.delivery.record.settled_by_server = true;
    complete();
  }
});

container.on('connection_error', (context) => {
  const error = context.connection.get_error() || {};
  finish(`connection error ${error.condition}: ${error.description}`);
});
container.on('receiver_error', (context) => {
  const error = context.receiver.error || {};
  finish(`receiver error ${error.condition}: ${error.description}`);
});
container.on('sender_error', (context) => {
  const error = context.sender.error || {};
  finish(`sender error ${error.condition}: ${error.description}`);
});
container.on('disconnected', (context) => {
  if (!finished) finish(`disconnected: ${context.error ? context.error.message : 'closed'}`);
});

connection = container.connect({
  host: host, port: Number(port), transport: 'tls', ca: [fs.readFileSync(caFile)],
  servername: host, username: username, password: password, reconnect: false,
});

setTimeout(() => finish('timeout'), 60000).unref();
