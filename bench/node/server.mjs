// node-oidc-provider configured like the Portcullis bench/ measures it
// beside: one client (client_secret_basic, client_credentials), one API
// (the resource indicator https://api.bench.test with the scope read),
// introspection on, and the library's in-memory adapter.
//
// Usage: node server.mjs <mode> <client_id> <client_secret>
// where mode is opaque (the library's default token format), jwt (JWT
// access tokens signed ES256, as Portcullis signs them) or jwt-rs256 (JWT
// access tokens signed with the library's default, RS256). It listens on
// a port of 127.0.0.1 the system chooses and prints one line,
// "ready <issuer>", once it does.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const [mode, clientId, clientSecret] = process.argv.slice(2);
const formats = {
  opaque: { accessTokenFormat: 'opaque' },
  jwt: { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } },
  'jwt-rs256': { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } },
};
if (!formats[mode] || !clientId || !clientSecret) {
  console.error('usage: node server.mjs opaque|jwt|jwt-rs256 <client_id> <client_secret>');
  process.exit(2);
}
const api = 'https://api.bench.test';

// Keys made at start, as Portcullis makes its own in a fresh store: RS256
// (the library's default and OpenID Connect's) and ES256.
const jwk = (type, options) => generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
const keys = [
  { ...jwk('rsa', { modulusLength: 2048 }), use: 'sig', alg: 'RS256', kid: 'rs256' },
  { ...jwk('ec', { namedCurve: 'P-256' }), use: 'sig', alg: 'ES256', kid: 'es256' },
];

const server = createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys },
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'read',
  }],
  scopes: ['read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => api,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== api) throw new Error(`unknown resource ${resource}`);
        return { scope: 'read', audience: api, accessTokenTTL: 3600, ...formats[mode] };
      },
    },
  },
});
provider.proxy = false;
// Errors answer the client; logging them to the console would be the
// bench's cost, not the provider's.
provider.on('server_error', () => {});

server.on('request', provider.callback());
console.log(`ready ${issuer}`);
