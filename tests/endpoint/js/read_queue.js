// Reads the messages on one queue with Node's rhea and prints them raw (types included), so
// that tests can judge them with checks that owe nothing to mockkpr's code
// (tests/nhn_listener.py). TLS + SASL PLAIN; every message is accepted.
// Usage: node read_queue.js HOST PORT CA_PEM USER PASSWORD SOURCE EXPECT TIMEOUT_MS
// Prints one JSON object: {"messages": [{"message_id", "message_id_type", "correlation_id",
// "correlation_id_type", "subject", "content_type",
// "application_properties": {name: {"type", "value"}},
// "body_section": "data" | "value" | "sequence" | "none", "body_base64"}], "error": null | text}.
// Exit 0 once EXPECT messages came, 1 on an error or when TIMEOUT_MS passed first.
'use strict';

const fs = require('fs');
const rhea = require('rhea');

const [host, port, caFile, username, password, source, expect, timeoutMs] =
  process.argv.slice(2);
const result = { messages: [], error: null };
let finished = false;
let connection = null;

function finish(error) {
  if (finished) return;
  finished = true;
  result.error = error || null;
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = error ? 1 : 0;
  if (connection) connection.close();
}

function describeBody(body) {
  if (body === undefined || body === null) return { section: 'none', data: Buffer.alloc(0) };
  if (body.constructor && body.constructor.name === 'Section') {
    const section = body.typecode === 0x75 ? 'data' : 'sequence';
    const content = body.multiple ? Buffer.concat(body.content) : body.content;
    return { section, data: Buffer.isBuffer(content) ? content : Buffer.from(String(content)) };
  }
  return { section: 'value',
           data: Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8') };
}

const container = rhea.create_container({ id: 'mockkpr-read-queue' });

container.on('connection_open', (context) => {
  context.connection.open_receiver({ source: source, credit_window: 50 });
});

container.on('message', (context) => {
  const message = context.message;
  const properties = {};
  for (const [name, value] of Object.entries(message.application_properties || {})) {
    properties[name] = { type: value === null ? 'null' : typeof value,
                         value: Buffer.isBuffer(value) ? value.toString('hex') : value };
  }
  const body = describeBody(message.body);
  result.messages.push({
    message_id: message.message_id === undefined ? null : String(message.message_id),
    message_id_type: typeof message.message_id,
    correlation_id: message.correlation_id === undefined ? null : String(message.correlation_id),
    correlation_id_type: typeof message.correlation_id,
    subject: message.subject === undefined ? null : message.subject,
    content_type: message.content_type === undefined ? null : message.content_type,
    application_properties: properties,
    body_section: body.section,
    body_base64: body.data.toString('base64'),
  });
  if (result.messages.length >= Number(expect)) finish(null);
});

container.on('connection_error', (context) => {
  const error = context.connection.get_error() || {};
  finish(`connection error ${error.condition}: ${error.description}`);
});
container.on('receiver_error', (context) => {
  const error = context.receiver.error || {};
  finish(`receiver error ${error.condition}: ${error.description}`);
});
container.on('disconnected', (context) => {
  if (!finished) finish(`disconnected: ${context.error ? context.error.message : 'closed'}`);
});

connection = container.connect({
  host: host, port: Number(port), transport: 'tls', ca: [fs.readFileSync(caFile)],
  servername: host, username: username, password: password, reconnect: false,
});

setTimeout(() => finish(`timeout: ${result.messages.length} of ${expect} messages`),
           Number(timeoutMs)).unref();
