// An independent DPoP client (RFC 9449): oauth4webapi, by another author,
// run against Portcullis by internal/interop's Go tests. It follows
// oauth4webapi's own DPoP example, retrying once on use_dpop_nonce.
//
//   node client.mjs client_credentials ISSUER CLIENT_ID SECRET
//   node client.mjs authorization_code ISSUER CLIENT_ID SECRET REDIRECT_URI
//
// It prints one JSON line with what the Go test checks. In the code flow it
// first prints {"authorization_url": ...} and reads the URL the browser
// was sent back to from its standard input.
import * as oauth from 'oauth4webapi'
import { createInterface } from 'node:readline'

const [mode, issuerArg, clientId, secret, redirectUri] = process.argv.slice(2)
const issuer = new URL(issuerArg)
// The test server is http on loopback.
const insecure = { [oauth.allowInsecureRequests]: true }

const as = await oauth
  .discoveryRequest(issuer, { algorithm: 'oidc', ...insecure })
  .then((response) => oauth.processDiscoveryResponse(issuer, response))
const client = { client_id: clientId }
const clientAuth = oauth.ClientSecretBasic(secret)
const keyPair = await oauth.generateKeyPair('ES256')
const DPoP = oauth.DPoP(client, keyPair)
const jkt = await DPoP.calculateThumbprint()

// retries counts the requests sent again with a server nonce.
let retries = 0
// once sends a request and processes its answer, once more if the server
// asked for a DPoP nonce, which the DPoP handle has then kept.
async function once(request, process) {
  try {
    return await process(await request())
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err
    retries++
    return process(await request())
  }
}

// claims returns a JWT's payload, unverified: the test asks the server
// for its own view of the token too.
function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())
}

function report(out) {
  console.log(JSON.stringify({ ...out, jkt, dpop_signing_alg_values_supported: as.dpop_signing_alg_values_supported, nonce_retries: retries }))
}

if (mode === 'client_credentials') {
  const token = await once(
    () => oauth.clientCredentialsGrantRequest(as, client, clientAuth, { scope: 'list:users' }, { DPoP, ...insecure }),
    (response) => oauth.processClientCredentialsResponse(as, client, response),
  )
  report({ token_type: token.token_type, access_token: token.access_token, cnf_jkt: claims(token.access_token).cnf?.jkt })
} else if (mode === 'authorization_code') {
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const url = new URL(as.authorization_endpoint)
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile offline_access',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    // Binds the code to the key (RFC 9449 section 10).
    dpop_jkt: jkt,
  })
  console.log(JSON.stringify({ authorization_url: url.href }))
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
  const callback = new URL((await lines.next()).value)
  const params = oauth.validateAuthResponse(as, client, callback, state)
  const token = await once(
    () => oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, verifier, { DPoP, ...insecure }),
    (response) => oauth.processAuthorizationCodeResponse(as, client, response),
  )
  const sub = oauth.getValidatedIdTokenClaims(token).sub
  const userinfo = await once(
    () => oauth.userInfoRequest(as, client, token.access_token, { DPoP, ...insecure }),
    (response) => oauth.processUserInfoResponse(as, client, sub, response),
  )
  const refreshed = await once(
    () => oauth.refreshTokenGrantRequest(as, client, clientAuth, token.refresh_token, { DPoP, ...insecure }),
    (response) => oauth.processRefreshTokenResponse(as, client, response),
  )
  report({
    token_type: token.token_type,
    cnf_jkt: claims(token.access_token).cnf?.jkt,
    userinfo_sub: userinfo.sub,
    sub,
    refreshed_token_type: refreshed.token_type,
    refreshed_cnf_jkt: claims(refreshed.access_token).cnf?.jkt,
  })
} else {
  throw new Error(`unknown mode ${mode}`)
}
process.exit(0)
