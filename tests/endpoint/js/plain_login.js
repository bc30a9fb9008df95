// Log in to an AMQP 1.0 server with SASL PLAIN over TLS using Node's rhea, attach a sender,
// send one message and close. Prints one JSON object:
//   {"result": "accepted"}                                      exit 0
//   {"result": "error", "condition": ..., "description": ...}   exit 1
// Usage: node plain_login.js HOST PORT CA_PEM USER PASSWORD
'use strict';

const fs = require('fs');
const rhea = require('rhea');

const [host, port, caFile, username, password] = process.argv.slice(2);
let finished = false;

function finish(outcome, code) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(outcome) + '\n');
  process.exitCode = code;
}

const container = rhea.create_container({ id: 'mockkpr-rhea-test' });

container.on('connection_open', (context) => {
  context.connection.open_sender('kpr');
});

container.on('sendable', (context) => {
  if (!context.sender.sent_one) {
    context.sender.sent_one = true;
    context.sender.send({ body: rhea.message.data_section(Buffer.from('<iplos/>')) });
  }
});

container.on('accepted', (context) => {
  finish({ result: 'accepted' }, 0);
  context.connection.close();
});

container.on('connection_error', (context) => {
  const error = context.connection.get_error() || context.error || {};
  finish({ result: 'error', condition: error.condition, description: error.description }, 1);
});

container.on('disconnected', (context) => {
  const error = context.error || {};
  finish({ result: 'error', condition: error.condition || null,
           description: String(error.message || error) }, 1);
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
