// What the scripted SDK clients share (graph-client.mjs, inbox.mjs): the official TypeScript
// SDK client over Streamable HTTP with a bearer token, a tool call that throws on a tool
// error, a time limit, and one JSON summary line as the last line of stdout (exit code 0
// when every step worked).
//
//   await runSdkScript("graph-client.mjs", async (client, summary) => { ... });
//   node <script> <base-url> <token>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** Calls a tool and returns its whole result; a tool error becomes an exception. */
export async function call(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) {
    throw new Error(`${name} failed: ${result.content?.map((c) => c.text).join(" ")}`);
  }
  return result;
}

export async function runSdkScript(script, steps, timeoutMs = 120_000) {
  const [baseUrl, token] = process.argv.slice(2);
  if (!baseUrl || !token) {
    console.error(`usage: node ${script} <base-url> <token>`);
    process.exit(2);
  }
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl.replace(/\/$/, "")}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: `orgn-test-${script.replace(/\.mjs$/, "")}`, version: "1.0.0" });
  const summary = {};
  const timer = setTimeout(() => {
    console.error("timed out");
    process.exit(3);
  }, timeoutMs);
  try {
    await client.connect(transport);
    await steps(client, summary);
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
}
