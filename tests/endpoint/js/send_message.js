// Send one message to an AMQP 1.0 server with Node's rhea over TLS with SASL PLAIN, as a
// non-proton sender would, and print the outcome as one JSON object:
//   {"result": "accepted" | "rejected" | "released" | "modified" | "error" | "timeout", ...}
// Usage: node send_message.js HOST PORT CA_PEM USER PASSWORD TARGET MESSAGE_ID
// The message: a data section, subject KPR_IPL, fromHerId as a number (rhea sends JS numbers
// as AMQP numbers), toHerId and applicationTimeStamp as strings.
'use strict';

const fs = require('fs');
const rhea = require('rhea');

const [host, port, caFile, username, password, target, messageId] = process.argv.slice(2);
let finished = false;

function finish(outcome, code) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(outcome) + '\n');
  process.exitCode = code;
}

const container = rhea.create_container({ id: 'mockkpr-rhea-wire' });

container.on('connection_open', (context) => {
  context.connection.open_sender({ target: { address: target }, name: 'rhea-sender-link' });
});

container.on('sendable', (context) => {
  if (context.sender.sent_one) return;
  context.sender.sent_one = true;
  context.sender.send({
    message_id: messageId,
    subject: 'KPR_IPL',
    content_type: 'application/pkcs7-mime; smime-type=signed-and-enveloped-data',
    application_properties: {
      fromHerId: 12345,
      toHerId: '131725',
      applicationTimeStamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    },
    body: rhea.message.data_section(Buffer.from('not a CMS structure')),
  });
});

for (const outcome of ['accepted', 'rejected', 'released', 'modified']) {
  container.on(outcome, (context) => {
    finish({ result: outcome }, 0);
    context.connection.close();
  });
}

container.on('connection_error', (context) => {
  const error = context.connection.get_error() || {};
  finish({ result: 'error', condition: error.condition, description: error.description }, 1);
});

container.on('disconnected', (context) => {
  const error = context.error || {};
  finish({ result: 'error', description: String(error.message || error) }, 1);
});

container.connect({
  host: host,
  port: Number(port),
  transport: 'tls',
  ca: [fs.readFileSync(caFile)],
  servername: host,
  username: username,
  password: password,
  reconnect: false,
});

setTimeout(() => {
  finish({ result: 'timeout' }, 2);
  process.exit();
}, 20000).unref();
