// Connects to an Orgn MCP server with the official TypeScript SDK's OAuth client provider,
// given only the URL, and prints one JSON summary line.
//
//   node oauth-client.mjs dcr  <base-url> <email> <password>  # dynamic client registration
//   node oauth-client.mjs cimd <base-url> <email> <password>  # a client ID metadata document served here, on loopback
//
// The browser's part (sign-in, then Allow on the consent page) is done over HTTP with the
// user's cookies, as a browser would, and the code is read from the redirect's Location.
// Exit code 0 and a last stdout line {"ok":true,...} when every step worked.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError, auth } from "@modelcontextprotocol/sdk/client/auth.js";
import http from "node:http";

const [mode, baseUrl, email, password] = process.argv.slice(2);
if (!["dcr", "cimd"].includes(mode) || !baseUrl || !email || !password) {
  console.error("usage: node oauth-client.mjs dcr|cimd <base-url> <email> <password>");
  process.exit(2);
}
const origin = baseUrl.replace(/\/$/, "");
const mcpUrl = new URL(`${origin}/mcp`);
// Nothing listens there: the code is taken from the Location header of Allow's answer.
const redirectUrl = "http://127.0.0.1:9/oauth/callback";
const summary = { client: `sdk-oauth-${mode}` };

const clientMetadata = {
  client_name: `Orgn test client (${mode})`,
  redirect_uris: [redirectUrl],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
};

/** Serves the client ID metadata document on a loopback port; resolves to its URL. */
async function serveMetadataDocument() {
  summary.document_fetches = 0;
  const server = http.createServer((req, res) => {
    summary.document_fetches += 1;
    res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "max-age=300" });
    res.end(JSON.stringify({ client_id: url, ...clientMetadata }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const url = `http://127.0.0.1:${server.address().port}/oauth/client.json`;
  return url;
}

class Provider {
  constructor(clientInformation) {
    this.client = clientInformation;
    this.saved = undefined;
    this.verifier = undefined;
    this.pendingAuthorization = undefined;
  }
  get redirectUrl() { return redirectUrl; }
  get clientMetadata() { return clientMetadata; }
  clientInformation() { return this.client; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  redirectToAuthorization(url) { this.pendingAuthorization = url; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
  state() { return "state-" + Math.random().toString(36).slice(2); }
}

class RegisteringProvider extends Provider {
  saveClientInformation(info) {
    this.client = info;
    summary.registered_client_id = info.client_id;
  }
}

const unescape = (s) =>
  s.replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

function cookieValue(res, name) {
  const all = res.headers.getSetCookie?.() ?? [res.headers.get("set-cookie") ?? ""];
  for (const c of all) {
    const m = c.match(new RegExp(`^${name}=([^;]*)`));
    if (m) return m[1];
  }
  throw new Error(`no ${name} cookie in ${JSON.stringify(all)}`);
}

/** The browser's part: sign in, open the consent page, press Allow; returns the code. */
async function consent(authorizationUrl) {
  let res = await fetch(authorizationUrl, { redirect: "manual" });
  if (res.status !== 303) throw new Error(`authorize without a session: ${res.status}`);
  const signIn = new URL(res.headers.get("location"), origin);
  if (signIn.pathname !== "/signin") throw new Error(`not sent to sign in: ${signIn}`);
  res = await fetch(signIn, { redirect: "manual" });
  const pre = cookieValue(res, "orgn_signin");
  const csrf = (await res.text()).match(/name="_csrf" value="([^"]+)"/)[1];
  res = await fetch(`${origin}/signin`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: `orgn_signin=${pre}` },
    body: new URLSearchParams({ _csrf: csrf, next: unescape(signIn.searchParams.get("next")), email, password }),
  });
  if (res.status !== 303) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
  const session = cookieValue(res, "orgn_session");
  const back = new URL(res.headers.get("location"), origin);
  res = await fetch(back, { headers: { Cookie: `orgn_session=${session}` }, redirect: "manual" });
  const page = await res.text();
  if (res.status !== 200) throw new Error(`consent page: ${res.status} ${page}`);
  summary.consent_client = unescape(page.match(/id="consent-client">([^<]*)</)[1]);
  summary.consent_csp = res.headers.get("content-security-policy");
  const fields = [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], unescape(m[2])]);
  fields.push(["decision", "allow"]);
  res = await fetch(`${origin}/oauth/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: `orgn_session=${session}` },
    body: new URLSearchParams(fields),
  });
  if (res.status !== 303) throw new Error(`Allow: ${res.status} ${await res.text()}`);
  const redirect = new URL(res.headers.get("location"));
  summary.redirected_to = `${redirect.origin}${redirect.pathname}`;
  summary.iss = redirect.searchParams.get("iss");
  summary.state_returned = redirect.searchParams.get("state") !== null;
  return redirect.searchParams.get("code");
}

async function call(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${result.content?.map((c) => c.text).join(" ")}`);
  return result;
}

const timer = setTimeout(() => {
  console.error("timed out");
  process.exit(3);
}, 120_000);
try {
  const provider = mode === "dcr" ? new RegisteringProvider(undefined) : new Provider({ client_id: await serveMetadataDocument() });
  const first = new Client({ name: `orgn-test-oauth-${mode}`, version: "1.0.0" });
  try {
    await first.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    throw new Error("connected without signing in");
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  if (!provider.pendingAuthorization) throw new Error("no authorization started");
  summary.scope_asked = provider.pendingAuthorization.searchParams.get("scope");
  summary.resource_asked = provider.pendingAuthorization.searchParams.get("resource");
  const code = await consent(provider.pendingAuthorization);
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  await transport.finishAuth(code);
  summary.scope_granted = provider.saved.scope;

  const client = new Client({ name: `orgn-test-oauth-${mode}`, version: "1.0.0" });
  await client.connect(transport);
  const { tools } = await client.listTools();
  summary.tools = tools.map((t) => t.name);
  summary.whoami = (await call(client, "whoami", {})).structuredContent.user.email;
  const created = await call(client, "create_task", { team: "ENG", title: `Made over OAuth (${mode})` });
  summary.created = created.structuredContent.task.id;

  const before = provider.saved.access_token;
  summary.refresh = await auth(provider, { serverUrl: mcpUrl });
  summary.refreshed = provider.saved.access_token !== before && provider.saved.access_token.startsWith("orgn_oat_");
  summary.after_refresh = (await call(client, "get_task", { id: summary.created })).structuredContent.task.id;
  await client.close();
  summary.ok = true;
} catch (e) {
  summary.ok = false;
  summary.error = String(e?.stack ?? e);
} finally {
  clearTimeout(timer);
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
