// Connects to an Orgn MCP server with the official TypeScript SDK's OAuth client provider,
// given only the URL, and prints one JSON summary line.
//
//   node oauth-client.mjs dcr  <base-url> <email> <password>  # dynamic client registration
//   node oauth-client.mjs cimd <base-url> <email> <password>  # a client ID metadata document served here, on loopback
//   node oauth-client.mjs mcp-remote <base-url> <email> <password>  # mcp-remote given only the URL, as Claude Desktop starts it
//
// The browser's part (sign-in, then Allow on the consent page) is done over HTTP with the
// user's cookies, as a browser would, and the code is read from the redirect's Location.
// Exit code 0 and a last stdout line {"ok":true,...} when every step worked.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError, auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { consent } from "./consent.mjs";

const [mode, baseUrl, email, password] = process.argv.slice(2);
if (!["dcr", "cimd", "mcp-remote"].includes(mode) || !baseUrl || !email || !password) {
  console.error("usage: node oauth-client.mjs dcr|cimd|mcp-remote <base-url> <email> <password>");
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

async function call(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${result.content?.map((c) => c.text).join(" ")}`);
  return result;
}

/** mcp-remote with the URL alone: it finds that sign-in is needed, registers, and opens the
 * authorization URL in "the browser", here fake-browser.mjs (through xdg-open's $BROWSER). */
async function viaMcpRemote() {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "orgn-mcp-remote-"));
  const browserLog = join(dir, "browser.log");
  const transport = new StdioClientTransport({
    command: "npx",
    args: ["-y", "mcp-remote", mcpUrl.href],
    env: {
      ...process.env,
      BROWSER: join(here, "fake-browser.mjs"),
      MCP_REMOTE_CONFIG_DIR: dir,
      ORGN_TEST_EMAIL: email,
      ORGN_TEST_PASSWORD: password,
      ORGN_TEST_BROWSER_LOG: browserLog,
    },
    cwd: here,
    stderr: "inherit",
  });
  const client = new Client({ name: "orgn-test-oauth-mcp-remote", version: "1.0.0" });
  await client.connect(transport);
  const { tools } = await client.listTools();
  summary.tools = tools.map((t) => t.name);
  summary.whoami = (await call(client, "whoami", {})).structuredContent.user.email;
  summary.created = (await call(client, "create_task", { team: "ENG", title: "Made over OAuth (mcp-remote)" })).structuredContent.task.id;
  const seen = readFileSync(browserLog, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  summary.browser = seen[seen.length - 1];
  await client.close();
  summary.ok = summary.browser?.ok === true;
}

const timer = setTimeout(() => {
  console.error("timed out");
  process.exit(3);
}, 120_000);
try {
  if (mode === "mcp-remote") {
    await viaMcpRemote();
  } else {
    await viaSdk();
  }
} catch (e) {
  summary.ok = false;
  summary.error = String(e?.stack ?? e);
} finally {
  clearTimeout(timer);
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);

/** The SDK's own OAuth client provider, with the transport that uses it. */
async function viaSdk() {
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
  const code = new URL(await consent(provider.pendingAuthorization, { origin, email, password, summary })).searchParams.get("code");
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
}
