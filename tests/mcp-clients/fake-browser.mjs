#!/usr/bin/env node
// A stand-in for the user's browser, for mcp-remote (which opens the authorization URL with
// xdg-open, which runs $BROWSER): signs in as ORGN_TEST_EMAIL, presses Allow, then opens
// the redirect, which delivers the code to mcp-remote's callback server. Writes what it saw
// to ORGN_TEST_BROWSER_LOG.
import { appendFileSync } from "node:fs";
import { consent } from "./consent.mjs";

const url = new URL(process.argv[2]);
const summary = {};
try {
  const back = await consent(url, {
    origin: url.origin,
    email: process.env.ORGN_TEST_EMAIL,
    password: process.env.ORGN_TEST_PASSWORD,
    summary,
  });
  const res = await fetch(back);
  summary.callback_status = res.status;
  summary.ok = res.ok;
} catch (e) {
  summary.ok = false;
  summary.error = String(e?.stack ?? e);
}
if (process.env.ORGN_TEST_BROWSER_LOG) appendFileSync(process.env.ORGN_TEST_BROWSER_LOG, JSON.stringify(summary) + "\n");
process.exit(summary.ok ? 0 : 1);
