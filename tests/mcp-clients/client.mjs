// Drives an Orgn MCP server with a real third-party client and prints one JSON summary line.
//
//   node client.mjs sdk        <base-url> <token>   # @modelcontextprotocol/sdk, Streamable HTTP + header (as Cursor, VS Code)
//   node client.mjs mcp-remote <base-url> <token>   # mcp-remote over stdio, the Claude Desktop command line
//
// Exit code 0 and a last stdout line {"ok":true,...} when every step worked.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const [mode, baseUrl, token] = process.argv.slice(2);
if (!mode || !baseUrl || !token) {
  console.error("usage: node client.mjs sdk|mcp-remote <base-url> <token>");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const url = `${baseUrl.replace(/\/$/, "")}/mcp`;

function transport() {
  if (mode === "sdk") {
    return new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
  }
  if (mode === "mcp-remote") {
    // Exactly the args of the Claude Desktop snippet on Settings → MCP Access; the token
    // travels in the AUTH_HEADER environment variable, which mcp-remote expands itself.
    return new StdioClientTransport({
      command: "npx",
      args: ["-y", "mcp-remote", url, "--header", "Authorization:${AUTH_HEADER}"],
      env: { ...process.env, AUTH_HEADER: `Bearer ${token}` },
      cwd: here,
      stderr: "inherit",
    });
  }
  throw new Error(`unknown mode ${mode}`);
}

async function call(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) {
    throw new Error(`${name} failed: ${result.content?.map((c) => c.text).join(" ")}`);
  }
  return result;
}

const summary = { client: mode };
const client = new Client({ name: `orgn-test-${mode}`, version: "1.0.0" });
const timer = setTimeout(() => {
  console.error("timed out");
  process.exit(3);
}, 180_000);
try {
  await client.connect(transport());
  summary.server = client.getServerVersion()?.name;
  const { tools } = await client.listTools();
  summary.tools = tools.map((t) => t.name);

  const who = await call(client, "whoami", {});
  summary.whoami = who.structuredContent.user.email;

  const title = `Made by ${mode}`;
  const created = await call(client, "create_task", { team: "ENG", title, priority: "high", assignee: "me", labels: ["Bug"] });
  summary.created = created.structuredContent.task.id;
  summary.created_text = created.content[0].text;

  const found = await call(client, "search_tasks", { query: title });
  summary.found = found.structuredContent.tasks.map((t) => t.id);

  const updated = await call(client, "update_task", { id: summary.created, status: "In Progress", description: "Updated by a client" });
  summary.updated_status = updated.structuredContent.task.status;

  await call(client, "create_comment", { id: summary.created, body: `Hello from ${mode}` });
  const comments = await call(client, "list_comments", { id: summary.created });
  summary.comments = comments.structuredContent.comments.map((c) => c.body);

  const projects = await call(client, "list_projects", {});
  summary.projects = projects.structuredContent.projects.map((p) => p.name);
  const project = await call(client, "get_project", { id: "Website" });
  summary.project = project.structuredContent.project.name;

  const cycles = await call(client, "list_cycles", { team: "ENG" });
  summary.cycles = cycles.structuredContent.cycles.map((c) => c.state);
  const inCycle = await call(client, "search_tasks", { team: "ENG", cycle: "current" });
  summary.in_current_cycle = inCycle.structuredContent.tasks.map((t) => t.id);

  const docs = await call(client, "search_docs", {});
  summary.docs = docs.structuredContent.docs.map((d) => d.title);
  const doc = await call(client, "get_doc", { id: docs.structuredContent.docs[0].id });
  summary.doc_content = doc.structuredContent.doc.content;

  try {
    await client.callTool({ name: "delete_task", arguments: { id: summary.created } });
    summary.delete_refused = false;
  } catch (e) {
    summary.delete_refused = String(e.message ?? e);
  }

  summary.ok = true;
} catch (e) {
  summary.ok = false;
  summary.error = String(e?.stack ?? e);
} finally {
  clearTimeout(timer);
  await client.close().catch(() => {});
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
