// The work graph through the official TypeScript SDK client (Streamable HTTP): a parent
// with three sub-tasks, a blocker of the last one, the tree read back with get_task, and
// the blocked task found with search_tasks. Prints one JSON summary line.
//
//   node graph-client.mjs <base-url> <token>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [baseUrl, token] = process.argv.slice(2);
if (!baseUrl || !token) {
  console.error("usage: node graph-client.mjs <base-url> <token>");
  process.exit(2);
}
const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl.replace(/\/$/, "")}/mcp`), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});

async function call(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) {
    throw new Error(`${name} failed: ${result.content?.map((c) => c.text).join(" ")}`);
  }
  return result.structuredContent;
}

const summary = {};
const client = new Client({ name: "orgn-graph-test", version: "1.0.0" });
const timer = setTimeout(() => {
  console.error("timed out");
  process.exit(3);
}, 120_000);
try {
  await client.connect(transport);
  const parent = (await call(client, "create_task", { team: "ENG", title: "Ship the importer" })).task.id;
  for (const step of ["Parse the file", "Map the columns", "Write the rows"]) {
    await call(client, "create_task", { team: "ENG", title: step, parent });
  }
  const tree = await call(client, "get_task", { id: parent });
  summary.children = tree.children.map((c) => c.id);
  const last = summary.children[2];
  const blocker = await call(client, "create_task", {
    team: "ENG",
    title: "Agree on the CSV format",
    add_relations: [{ type: "blocks", task: last }],
  });
  const blockerTask = await call(client, "get_task", { id: blocker.task.id });
  summary.blocker_relation = blockerTask.relations[0]?.type;
  const found = await call(client, "search_tasks", { blocked: true });
  summary.blocked = found.tasks.map((t) => t.id);
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
