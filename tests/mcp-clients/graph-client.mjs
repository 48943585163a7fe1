// The work graph through the official TypeScript SDK client (Streamable HTTP): a parent
// with three sub-tasks, a blocker of the last one, the tree read back with get_task, and
// the blocked task found with search_tasks. Prints one JSON summary line.
//
//   node graph-client.mjs <base-url> <token>
import { call, runSdkScript } from "./sdk-script.mjs";

const data = async (client, name, args) => (await call(client, name, args)).structuredContent;

await runSdkScript("graph-client.mjs", async (client, summary) => {
  const parent = (await data(client, "create_task", { team: "ENG", title: "Ship the importer" })).task.id;
  for (const step of ["Parse the file", "Map the columns", "Write the rows"]) {
    await data(client, "create_task", { team: "ENG", title: step, parent });
  }
  const tree = await data(client, "get_task", { id: parent });
  summary.children = tree.children.map((c) => c.id);
  const last = summary.children[2];
  const blocker = await data(client, "create_task", {
    team: "ENG",
    title: "Agree on the CSV format",
    add_relations: [{ type: "blocks", task: last }],
  });
  const blockerTask = await data(client, "get_task", { id: blocker.task.id });
  summary.blocker_relation = blockerTask.relations[0]?.type;
  const found = await data(client, "search_tasks", { blocked: true });
  summary.blocked = found.tasks.map((t) => t.id);
});
