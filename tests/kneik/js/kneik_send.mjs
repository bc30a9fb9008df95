// An HTTP sender for KPR's submission API written with Node's own fetch and the `jose`
// package (not mockkpr's libraries): discovery, a private_key_jwt client assertion, a token,
// the token checked against the published JWKS, then one submission. Prints one JSON object.
// Usage: NODE_EXTRA_CA_CERTS=ca.pem JOSE_DIR=dir node kneik_send.mjs \
//          AUTHORITY CLIENT_ID PRIVATE_JWK_FILE BASE_URL BODY_JSON_FILE
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [authority, clientId, jwkFile, baseUrl, bodyFile] = process.argv.slice(2);
const resolve = createRequire(join(process.env.JOSE_DIR, 'package.json')).resolve;
const jose = await import(pathToFileURL(resolve('jose')).href);

const discovery = await (await fetch(`${authority}/.well-known/openid-configuration`)).json();
const jwk = JSON.parse(readFileSync(jwkFile, 'utf8'));
const key = await jose.importJWK(jwk, 'RS256');
const assertion = await new jose.SignJWT({ scope: 'hdir:kneik/iplos/submit' })
  .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
  .setIssuer(clientId)
  .setSubject(clientId)
  .setAudience(discovery.token_endpoint)
  .setJti(randomUUID().replaceAll('-', ''))
  .setIssuedAt()
  .setExpirationTime('60s')
  .sign(key);
const tokenResponse = await fetch(discovery.token_endpoint, {
  method: 'POST',
  body: new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  }),
});
const token = await tokenResponse.json();
const keys = jose.createRemoteJWKSet(new URL(discovery.jwks_uri));
const verified = await jose.jwtVerify(token.access_token, keys, {
  issuer: discovery.issuer, audience: 'hdir:kneik',
});
const submitted = await fetch(`${baseUrl}/messages`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${token.access_token}`, 'Content-Type': 'application/json' },
  body: readFileSync(bodyFile),
});
process.stdout.write(JSON.stringify({
  token_status: tokenResponse.status,
  token_client: verified.payload.client_id,
  token_scope: verified.payload.scope,
  status: submitted.status,
  answer: await submitted.json(),
}) + '\n');
