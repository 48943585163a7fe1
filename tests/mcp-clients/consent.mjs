// The browser's part of an OAuth sign-in to Orgn, over HTTP with the user's cookies as a
// browser keeps them: follow the authorization URL to sign-in, sign in, open the consent
// page, press Allow. Shared by oauth-client.mjs and fake-browser.mjs.

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

/** The browser's part: sign in, open the consent page, press Allow; returns where Allow
 * sends the browser (the app's redirect URI with the code). */
export async function consent(authorizationUrl, { origin, email, password, summary }) {
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
  summary.consent_client_host = page.match(/id="consent-client-host">[^<]*<strong>([^<]*)</)?.[1] ?? null;
  const fields = [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], unescape(m[2])]);
  fields.push(["decision", "allow"]);
  res = await fetch(`${origin}/oauth/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: `orgn_session=${session}` },
    body: new URLSearchParams(fields),
  });
  if (res.status !== 303) throw new Error(`Allow: ${res.status} ${await res.text()}`);
  const location = res.headers.get("location");
  const redirect = new URL(location);
  summary.redirected_to = `${redirect.origin}${redirect.pathname}`;
  summary.iss = redirect.searchParams.get("iss");
  summary.state_returned = redirect.searchParams.get("state") !== null;
  return location;
}
