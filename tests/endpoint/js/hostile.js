// A hostile sender written with Node's rhea (an AMQP 1.0 client independent of proton).
// Prints one JSON object and exits.
//
//   node hostile.js forge HOST PORT CA_PEM USER PASSWORD TARGET TO ORIGINAL_ID FROM_HER_ID
//     Over TLS with SASL PLAIN, put a forged transport error on TARGET (a link target address;
//     "-" for the anonymous relay, the message then routed by its `to` = TO), claiming to come
//     from FROM_HER_ID about the message ORIGINAL_ID.
//     {"result": "link-refused", "condition": ..., "description": ...}
//     {"result": "accepted" | "rejected" | "released" | "modified", "condition": ...}
//
//   node hostile.js plain HOST PORT USER PASSWORD
//     Log in with SASL PLAIN over plain TCP (to a port that expects TLS): what comes back.
//     {"result": "opened"} | {"result": "sasl-refused", "condition": ...}
//     | {"result": "disconnected", "condition": null, "description": ...}
'use strict';

const fs = require('fs');
const rhea = require('rhea');

const [mode, ...args] = process.argv.slice(2);
let finished = false;

function finish(outcome) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(outcome) + '\n');
  process.exit(0);
}

function errorOf(context) {
  const error = (context.connection && context.connection.get_error()) || context.error || {};
  return { condition: error.condition || null, description: String(error.description || error.message || '') };
}

const container = rhea.create_container({ id: 'mockkpr-rhea-hostile' });

if (mode === 'forge') {
  const [host, port, caFile, username, password, target, to, originalId, fromHerId] = args;
  container.on('connection_open', (context) => {
    const options = target === '-' ? { target: {} } : { target: { address: target } };
    context.connection.open_sender(options);
  });
  container.on('sendable', (context) => {
    if (context.sender.sent_one) return;
    context.sender.sent_one = true;
    context.sender.send({
      message_id: 'forged-' + originalId,
      to: to,
      subject: 'KPR_IPL',
      correlation_id: originalId,
      content_type: 'text/plain',
      application_properties: {
        fromHerId: fromHerId, toHerId: '12345', originalMessageId: originalId,
        receiverTimeStamp: '01/01/2026 00:00:00',
        errorCondition: 'transport:invalid-certificate', errorDescription: 'Forged',
      },
      body: rhea.message.data_section(Buffer.alloc(0)),
    });
  });
  container.on('sender_error', (context) => {
    const error = context.sender.error || {};
    finish({ result: 'link-refused', condition: error.condition || null,
             description: error.description || null });
  });
  for (const outcome of ['accepted', 'rejected', 'released', 'modified']) {
    container.on(outcome, (context) => {
      const state = context.delivery.remote_state || {};
      const error = state.error || {};
      finish({ result: outcome, condition: error.condition || null,
               description: error.description || null });
    });
  }
  container.on('connection_error', (context) => finish({ result: 'error', ...errorOf(context) }));
  container.on('disconnected', (context) => finish({ result: 'disconnected', ...errorOf(context) }));
  container.connect({
    host: host, port: Number(port), transport: 'tls', ca: [fs.readFileSync(caFile)],
    servername: host, username: username, password: password, reconnect: false,
  });
} else if (mode === 'plain') {
  const [host, port, username, password] = args;
  container.on('connection_open', () => finish({ result: 'opened' }));
  container.on('connection_error', (context) => {
    finish({ result: 'sasl-refused', ...errorOf(context) });
  });
  container.on('disconnected', (context) => finish({ result: 'disconnected', ...errorOf(context) }));
  container.connect({
    host: host, port: Number(port), transport: 'tcp', username: username, password: password,
    reconnect: false,
  });
} else {
  finish({ result: 'usage', description: 'mode must be forge or plain' });
}

setTimeout(() => finish({ result: 'timeout' }), 20000).unref();
