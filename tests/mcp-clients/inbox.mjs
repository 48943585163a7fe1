// Reads and clears the caller's inbox with the official TypeScript SDK client (Streamable
// HTTP, a bearer token) and prints one JSON summary line.
//
//   node inbox.mjs <base-url> <token>
//
// Exit code 0 and a last stdout line {"ok":true,...} when every step worked.
import { call, runSdkScript } from "./sdk-script.mjs";

await runSdkScript(
  "inbox.mjs",
  async (client, summary) => {
    const { tools } = await client.listTools();
    summary.hints = Object.fromEntries(
      tools
        .filter((t) => t.name.includes("notifications"))
        .map((t) => [t.name, t.annotations]),
    );

    // Page through the unread ones, one at a time.
    const seen = [];
    let cursor;
    do {
      const page = await call(client, "list_notifications", { unread_only: true, limit: 1, ...(cursor ? { cursor } : {}) });
      summary.unread_before ??= page.structuredContent.unread;
      for (const n of page.structuredContent.notifications) seen.push(`${n.task} ${n.kind} by ${n.by}`);
      cursor = page.structuredContent.next_cursor;
    } while (cursor);
    summary.seen = seen;

    const first = await call(client, "list_notifications", { limit: 1 });
    const one = await call(client, "mark_notifications_read", { ids: [first.structuredContent.notifications[0].id] });
    summary.marked_one = one.structuredContent;
    const all = await call(client, "mark_notifications_read", { all: true });
    summary.marked_all = all.structuredContent;
    const after = await call(client, "list_notifications", { unread_only: true });
    summary.unread_after = after.structuredContent.notifications.length;
    summary.text_after = after.content[0].text;
  },
  60_000,
);
