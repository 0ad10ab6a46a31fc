// The example app of the Portcullis OAuth Agent. It holds no token: the
// agent keeps them in HttpOnly cookies, which the browser sends with
// credentialed requests to the agent and to the gateway.
'use strict';

// The agent's answers say what to do: 401 means refresh, then sign in;
// the API's 401 insufficient_user_authentication (RFC 9470) means sign in
// again as its acr_values and max_age say, which data holds.
class CallError extends Error {
  constructor(status, code, message, data) {
    super(message);
    this.status = status;
    this.code = code;
    this.data = data;
  }
}

const stepUpCode = 'insufficient_user_authentication';
// The action a step-up sign-in was started for, kept across the redirect
// to the authorization server and back.
const pendingKey = 'portcullis-example-pending';

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
// Data-changing requests carry the header the gateway's cookie routes
// require, as the agent's do.
async function callAPI(path, method = 'GET') {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['token-handler-version'] = '1';
  }
  const resp = await fetch(config.apiUrl + path, { method, credentials: 'include', headers });
  return answer(resp, (data) => [data.error, data.error_description]);
}

async function answer(resp, describe) {
  if (resp.status === 204) {
    return null;
  }
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const [code, message] = describe(data);
    throw new CallError(resp.status, code || 'error', `${resp.status} ${message || resp.statusText}`, data);
  }
  return data;
}

// needsSignIn tells a 401 that ends the session from a step-up, which
// asks for a stronger sign-in in the same session.
const needsSignIn = (e) => e instanceof CallError && e.status === 401 && e.code !== stepUpCode;

// withRefresh runs call, and once more after a refresh if it answers 401.
// When the refresh answers 401 too, the session is over.
async function withRefresh(call) {
  try {
    return await call();
  } catch (e) {
    if (!needsSignIn(e)) {
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
      if (needsSignIn(e)) {
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

// listUsers shows the API's users, each with a button that deletes it.
async function listUsers() {
  const list = $('users');
  list.replaceChildren();
  const users = await withRefresh(() => callAPI('/users'));
  for (const u of users) {
    const item = document.createElement('li');
    const text = document.createElement('span');
    text.textContent = `${u.name} <${u.email}>`;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = 'Delete user';
    remove.setAttribute('aria-label', `Delete user ${u.name}`);
    remove.dataset.userId = u.id;
    item.append(text, ' ', remove);
    list.append(item);
  }
  return users;
}

busy('list-users', async () => {
  const users = await listUsers();
  say('info', `${users.length} users from the API.`);
});

// deleteUser deletes a user through the gateway. The API requires a recent
// second factor (RFC 9470): when the sign-in falls short it answers 401
// insufficient_user_authentication with the acr_values and max_age to
// sign in with, and the app starts that sign-in through the agent,
// remembering the deletion to retry when it comes back. A retry that falls
// short again is reported, not retried, so the app never loops.
async function deleteUser(id, retry) {
  try {
    await withRefresh(() => callAPI(`/users/${encodeURIComponent(id)}`, 'DELETE'));
  } catch (e) {
    if (retry || !(e instanceof CallError) || e.code !== stepUpCode) {
      throw e;
    }
    const extraParams = [];
    if (e.data.acr_values) {
      extraParams.push({ key: 'acr_values', value: e.data.acr_values });
    }
    if (e.data.max_age !== undefined) {
      extraParams.push({ key: 'max_age', value: String(e.data.max_age) });
    }
    const { authorizationRequestUrl } = await callAgent('POST', '/login/start', { extraParams });
    sessionStorage.setItem(pendingKey, JSON.stringify({ deleteUser: id }));
    say('info', 'Deleting a user needs a recent second factor: signing in again…');
    location.assign(authorizationRequestUrl);
    return false;
  }
  await listUsers();
  say('info', `User ${id} deleted.`);
  return true;
}

// One listener for every delete button, which the list replaces.
$('users').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-user-id]');
  if (!button) {
    return;
  }
  button.disabled = true;
  try {
    await deleteUser(button.dataset.userId, false);
  } catch (e) {
    if (needsSignIn(e)) {
      showSignedOut();
    }
    say('error', e.message);
    button.disabled = false;
  }
});

// resumePending retries, once, the action a step-up sign-in was started
// for, when this page load is that sign-in's return; any other load means
// it was abandoned, and forgets it.
async function resumePending(state) {
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) || 'null');
  sessionStorage.removeItem(pendingKey);
  if (state.handled && state.isLoggedIn && pending && pending.deleteUser) {
    await deleteUser(pending.deleteUser, true);
  }
}

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
  try {
    await resumePending(state);
  } catch (e) {
    say('error', e.message);
  }
}

main();
