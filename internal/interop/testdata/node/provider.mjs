// An independent OpenID Connect provider (node-oidc-provider, by another
// author) that internal/interop's Go tests start as the upstream of
// connectors/oidc. One client, one account, and the library's development
// interactions: its login form signs in whatever account ID is posted, and
// its consent form grants what the client asked for.
//
// Usage: node provider.mjs <client_id> <client_secret> <redirect_uri>
// It listens on a port of 127.0.0.1 the system chooses (so parallel tests
// never race for one) and prints one line, "ready <issuer>", once it does.
import { createServer } from 'node:http';
import { once } from 'node:events';

import Provider from 'oidc-provider';

const [clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!clientId || !clientSecret || !redirectUri) {
  console.error('usage: node provider.mjs <client_id> <client_secret> <redirect_uri>');
  process.exit(2);
}
const server = createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const issuer = `http://127.0.0.1:${server.address().port}`;

// The one person this provider knows; the test signs in as "ann".
const accounts = {
  ann: { sub: 'ann', email: 'ann@example.com', email_verified: true, name: 'Ann Example' },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  // PKCE with S256 on every authorization request (RFC 7636).
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Claims go into the ID token too, not only userinfo, so a relying
  // party without userinfo sees them.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => account };
  },
});
// The test talks plain HTTP on a loopback address.
provider.proxy = false;

server.on('request', provider.callback());
console.log(`ready ${issuer}`);
