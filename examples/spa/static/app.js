// The example app of the Portcullis OAuth Agent. It holds no token: the
// agent keeps them in HttpOnly cookies, which the browser sends with
// credentialed requests to the agent and to the gateway.
'use strict';

// The agent's answers say what to do: 401 means refresh, then sign in.
class CallError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The authorization response parameters (RFC 6749 section 4.1.2, RFC 9207)
// that must leave the address bar once /login/end has seen them.
const responseParams = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state'];

const $ = (id) => document.getElementById(id);
let config = { agentUrl: '/oauth-agent', apiUrl: '' };

// callAgent calls an agent endpoint. Data-changing requests carry the
// header that proves they come from a page of a trusted origin.
async function callAgent(method, path, body) {
  const headers = {};
  if (method !== 'GET') {
    headers['token-handler-version'] = '1';
  }
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const resp = await fetch(config.agentUrl + path, {
    method, headers, credentials: 'include', body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(resp, (data) => [data.code, data.message]);
}

// callAPI calls the users API through the gateway, with the cookie.
async function callAPI(path) {
  const resp = await fetch(config.apiUrl + path, { credentials: 'include', headers: { accept: 'application/json' } });
  return answer(resp, (data) => [data.error, data.error_description]);
}

async function answer(resp, describe) {
  if (resp.status === 204) {
    return null;
  }
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const [code, message] = describe(data);
    throw new CallError(resp.status, code || 'error', `${resp.status} ${message || resp.statusText}`);
  }
  return data;
}

// withRefresh runs call, and once more after a refresh if it answers 401.
// When the refresh answers 401 too, the session is over.
async function withRefresh(call) {
  try {
    return await call();
  } catch (e) {
    if (!(e instanceof CallError) || e.status !== 401) {
      throw e;
    }
  }
  await callAgent('POST', '/refresh');
  return call();
}

// stripResponse removes the authorization response from the address bar,
// so that a reload or a bookmark does not replay it.
function stripResponse() {
  const url = new URL(location.href);
  const had = responseParams.filter((p) => url.searchParams.has(p));
  if (had.length === 0) {
    return;
  }
  had.forEach((p) => url.searchParams.delete(p));
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

function say(kind, text) {
  const m = $('message');
  m.dataset.kind = kind;
  m.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  m.textContent = text;
  m.hidden = false;
}

function showSignedOut(why) {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  $('status').textContent = 'Signed out';
  if (why) {
    say('info', why);
  }
}

async function showSignedIn(expiresIn) {
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  $('status').textContent = 'Signed in';
  $('expires').textContent = expiresIn === undefined ? 'unknown' : `${expiresIn} s`;
  const claims = await callAgent('GET', '/claims');
  $('name').textContent = claims.name || claims.sub;
  $('subject').textContent = claims.sub;
  const info = await withRefresh(() => callAgent('GET', '/userInfo'));
  $('userinfo-name').textContent = info.name || '(not released)';
  $('email').textContent = info.email || '(not released)';
}

// busy disables a button while its action runs, and reports failures. A
// 401 that survived a refresh means the user must sign in again.
function busy(id, action) {
  $(id).addEventListener('click', async () => {
    const button = $(id);
    button.disabled = true;
    try {
      await action();
    } catch (e) {
      if (e instanceof CallError && e.status === 401) {
        showSignedOut();
      }
      say('error', e.message);
    } finally {
      button.disabled = false;
    }
  });
}

busy('sign-in', async () => {
  const { authorizationRequestUrl } = await callAgent('POST', '/login/start');
  location.assign(authorizationRequestUrl);
});

busy('refresh', async () => {
  await callAgent('POST', '/refresh');
  say('info', `Tokens refreshed at ${new Date().toLocaleTimeString()}.`);
});

busy('sign-out', async () => {
  const { url } = await callAgent('POST', '/logout');
  location.assign(url);
});

busy('list-users', async () => {
  const list = $('users');
  list.replaceChildren();
  const users = await withRefresh(() => callAPI('/users'));
  for (const u of users) {
    const item = document.createElement('li');
    item.textContent = `${u.name} <${u.email}>`;
    list.append(item);
  }
  say('info', `${users.length} users from the API.`);
});

async function main() {
  try {
    const resp = await fetch('config.json', { cache: 'no-store' });
    if (resp.ok) {
      Object.assign(config, await resp.json());
    }
  } catch {
    // Same-origin defaults.
  }
  let state;
  try {
    state = await callAgent('POST', '/login/end', { pageUrl: location.href });
  } catch (e) {
    say('error', `Sign-in failed: ${e.message}`);
    state = { isLoggedIn: false };
  } finally {
    stripResponse();
  }
  try {
    if (state.isLoggedIn) {
      await showSignedIn(state.accessTokenExpiresIn);
    } else {
      showSignedOut();
    }
  } catch (e) {
    showSignedOut();
    say('error', e.message);
  }
}

main();
