// An independent sender for KPR's HTTP submission API ("kneik"), written apart from mockkpr's
// client: Node's own fetch, the `jose` package for the HelseID client assertion
// (private_key_jwt, RS256), the openssl command for CMS (sign with SHA-256 and no signed
// attributes, then encrypt with AES-256-CBC to KPR's encryption certificate), npm's `yaml` to
// read the registry. It follows the HTTP sender-command contract of `mockkpr certify --route
// http` (docs/conformance.md) and what the public facts say a sender does (kpr-http-api.md):
// discovery, a token from its token_endpoint, POST {base}/messages with the JSON header; on
// 429, 500, 502, 503, 504 or a lost connection it sends the SAME messageId again after
// Retry-After (or a second); on 401 it gets a new token once and sends again; a 400 is final.
// It does not read the register's verdict: exit 0 means received (HTTP 200).
//
// Usage: NODE_EXTRA_CA_CERTS=ca.pem JOSE_DIR=dir YAML_DIR=dir node kneik_sender.mjs \
//          FILE BASE_URL AUTHORITY CLIENT_ID PRIVATE_JWK REGISTRY FROM TO TIMEOUT [FLAW]
// (JOSE_DIR and YAML_DIR hold node_modules with jose and yaml.)
// FLAW (a deliberately broken variant): "new-id" gives every request after the first a new
// messageId. Exit: 0 received (200); 2 not received (400 with its validationCode, 401, 403,
// no token, no answer within the timeout) or unusable input.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, baseUrl, authority, clientId, jwkFile, registryFile, fromArg, toArg, timeoutArg,
  flaw] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const SCOPE = 'hdir:kneik/iplos/submit';
const RETRIED = new Set([429, 500, 502, 503, 504]);
const work = mkdtempSync(join(tmpdir(), 'kneik-sender-'));

function load(dirVariable, name) {
  const found = createRequire(join(process.env[dirVariable], 'package.json')).resolve(name);
  return import(pathToFileURL(found).href);
}
const jose = await load('JOSE_DIR', 'jose');
const YAML = (await load('YAML_DIR', 'yaml')).default;

function say(line) { process.stderr.write(`kneik_sender: ${line}\n`); }

function finish(code, line) {
  (code === 0 ? process.stdout : process.stderr).write(`${line}\n`);
  rmSync(work, { recursive: true, force: true });
  process.exit(code);
}

const sleep = (ms) => new Promise((done) => { setTimeout(done, ms); });

// Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3); a second when absent.
function retryAfterMs(response) {
  const value = response ? response.headers.get('retry-after') : null;
  if (value && /^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = value ? Date.parse(value) : NaN;
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
}

async function pause(response) {
  const ms = retryAfterMs(response);
  if (Date.now() + ms > deadline) return false;
  await sleep(ms);
  return true;
}

const remaining = () => AbortSignal.timeout(Math.max(1000, deadline - Date.now()));

// ------------------------------------------------------------------ the registry and the CMS
const registryDir = dirname(resolve(registryFile));
const registry = YAML.parse(readFileSync(registryFile, 'utf8'));
const party = (id) => registry.parties.find((p) => p.her_id === id);
const me = party(Number(fromArg));
const kpr = party(Number(toArg));
if (!me || !kpr) finish(2, `no party ${fromArg} or ${toArg} in ${registryFile}`);
const rel = (p) => resolve(registryDir, p);

function protect(path) {
  const signed = join(work, 'signed.der');
  const enveloped = join(work, 'enveloped.der');
  const openssl = (args) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  openssl(['cms', '-sign', '-binary', '-nodetach', '-noattr', '-md', 'sha256',
    '-signer', rel(me.signing_certificate), '-inkey', rel(me.signing_key),
    '-in', path, '-outform', 'DER', '-out', signed]);
  openssl(['cms', '-encrypt', '-binary', '-aes-256-cbc', '-inform', 'DER', '-in', signed,
    '-outform', 'DER', '-out', enveloped, rel(kpr.encryption_certificate)]);
  return readFileSync(enveloped).toString('base64');
}

// ------------------------------------------------------------------ HelseID
const jwk = JSON.parse(readFileSync(jwkFile, 'utf8'));
const key = await jose.importJWK(jwk, 'RS256');
let tokenEndpoint;

async function discover() {
  const response = await fetch(`${authority}/.well-known/openid-configuration`,
    { signal: remaining() });
  if (!response.ok) finish(2, `discovery document: HTTP ${response.status}`);
  tokenEndpoint = (await response.json()).token_endpoint;
}

async function token() {
  for (;;) {
    const assertion = await new jose.SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
      .setIssuer(clientId).setSubject(clientId).setAudience(tokenEndpoint)
      .setJti(randomUUID().replaceAll('-', ''))
      .setIssuedAt().setExpirationTime('60s')
      .sign(key);
    let response;
    try {
      response = await fetch(tokenEndpoint, {
        method: 'POST', signal: remaining(),
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }),
      });
    } catch (error) {
      if (await pause(null)) continue;
      finish(2, `no access token: the token endpoint did not answer (${error.message})`);
    }
    if (response.ok) return (await response.json()).access_token;
    const text = (await response.text()).slice(0, 300);
    say(`token endpoint: HTTP ${response.status} ${text}`);
    if (RETRIED.has(response.status) && await pause(response)) continue;
    finish(2, `no access token: the token endpoint answered HTTP ${response.status} ${text}`);
  }
}

// ------------------------------------------------------------------ the submission
async function submit() {
  const payload = protect(resolve(file));
  await discover();
  let bearer = await token();
  let renewed = false;
  let messageId = randomUUID();
  for (let attempt = 1; ; attempt += 1) {
    if (attempt > 1 && flaw === 'new-id') messageId = randomUUID();
    const body = JSON.stringify({
      messageHeader: { fromHerId: me.her_id, toHerId: kpr.her_id, messageType: 'IPLOS',
        messageVersion: '56.0.0', messageId },
      payload,
    });
    let response;
    try {
      response = await fetch(`${baseUrl}/messages`, {
        method: 'POST', body, signal: remaining(),
        headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      });
    } catch (error) {
      say(`attempt ${attempt}: no answer (${error.message})`);
      if (await pause(null)) continue;
      finish(2, `not received: no answer within the timeout (${error.message})`);
    }
    const answer = await response.json().catch(() => ({}));
    say(`attempt ${attempt}: HTTP ${response.status} ${JSON.stringify(answer)}`);
    if (response.status === 200) {
      finish(0, `received: HTTP 200, messageId ${answer.messageId}, refId ${answer.refId}`);
    }
    if (response.status === 401 && !renewed) {
      renewed = true;
      bearer = await token();
      continue;
    }
    if (RETRIED.has(response.status) && await pause(response)) continue;
    if (response.status === 400) {
      finish(2, `refused: HTTP 400 validationCode ${answer.validationCode}: `
        + `${answer.validationMessage} (refId ${answer.refId})`);
    }
    finish(2, `not received: HTTP ${response.status} ${JSON.stringify(answer)}`);
  }
}

try {
  await submit();
} catch (error) {
  finish(2, `failed: ${error.message}`);
}
