// Sign-in. On AWS: the Cognito hosted UI, authorization code with PKCE (no client secret in a browser).
// Locally: a sample user is picked and an UNSIGNED token is made here, the way local/apigw.py make_token does;
// only the local runner accepts it (it decodes tokens without verification).
const KEY = "grading.session";
let config = { mode: "local" };

export function configure(c) {
  config = c;
}
export const mode = () => config.mode;

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const b64urlText = (text) => b64url(new TextEncoder().encode(text));

export function decode(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
  return JSON.parse(json);
}

export function groupsOf(claims) {
  const raw = claims["cognito:groups"] || [];
  return (Array.isArray(raw) ? raw : String(raw).split(",")).map((g) => g.trim()).filter(Boolean);
}

export function session() {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  const s = JSON.parse(raw);
  const claims = decode(s.token);
  if (claims.exp && claims.exp * 1000 < Date.now()) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return { token: s.token, sub: claims.sub, email: claims.email, groups: groupsOf(claims), name: s.name || claims.sub };
}
export const token = () => (session() || {}).token;

export function signOut() {
  sessionStorage.removeItem(KEY);
  if (config.mode === "cognito") {
    const url = new URL(`${config.cognitoDomain}/logout`);
    url.searchParams.set("client_id", config.clientId);
    url.searchParams.set("logout_uri", config.redirectUri);
    window.location.assign(url);
  }
}

/** Local only: an unsigned Cognito-like ID token for a sample user. */
export function localSignIn(sub, groups, name) {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub,
    "cognito:username": sub,
    "cognito:groups": groups.join(","),
    email: `${sub}@example.local`,
    token_use: "id",
    iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_local",
    aud: "local",
    iat: now,
    auth_time: now,
    exp: now + 3600 * 8,
  };
  const token = `${b64urlText(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64urlText(JSON.stringify(payload))}.${b64urlText("unsigned-local-only")}`;
  sessionStorage.setItem(KEY, JSON.stringify({ token, name }));
}

export async function cognitoSignIn() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem("grading.pkce", JSON.stringify({ verifier, state }));
  const url = new URL(`${config.cognitoDomain}/oauth2/authorize`);
  for (const [k, v] of Object.entries({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: "openid email profile",
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  }))
    url.searchParams.set(k, v);
  window.location.assign(url);
}

/** Back from the hosted UI with ?code=&state=: exchange the code (with the PKCE verifier) for tokens. */
export async function completeCognitoSignIn() {
  const params = new URLSearchParams(window.location.search);
  const code = params.get("code");
  if (!code) return false;
  const saved = JSON.parse(sessionStorage.getItem("grading.pkce") || "{}");
  sessionStorage.removeItem("grading.pkce");
  if (!saved.state || saved.state !== params.get("state")) throw new Error("登录状态校验失败，请重新登录");
  const reply = await fetch(`${config.cognitoDomain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.clientId,
      code,
      redirect_uri: config.redirectUri,
      code_verifier: saved.verifier,
    }),
  });
  if (!reply.ok) throw new Error(`登录失败（${reply.status}）`);
  const tokens = await reply.json();
  // The REST API's Cognito authorizer reads the ID token: it carries cognito:groups.
  sessionStorage.setItem(KEY, JSON.stringify({ token: tokens.id_token }));
  window.history.replaceState(null, "", window.location.pathname + "#/");
  return true;
}
