// The identity provider sends the browser back here with the token in the fragment (which never
// reaches the server). /auth/login left a cookie with the state and nonce it sent: the state must
// come back (or another site could sign this browser in as someone else), and an ID token must
// carry the nonce (or it is a token replayed from another sign-in). Then the token is kept like a
// development token and the browser goes on to the page the sign-in started from.

import { keepToken } from "./session.js";
import { $, h, loaded, replace } from "./ui.js";

const PAGES = ["/dashboard", "/mentor", "/browse"];
const COOKIE = "mentori_signin";

function cookie() {
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === COOKIE) return value.join("=");
  }
  return "";
}

function claims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return null;
  }
}

function fail(message, next) {
  replace(
    $("#signin"),
    h("h1", { id: "signin-title" }, "Sign-in did not finish"),
    h("p", { class: "banner banner-error", role: "alert" }, message),
    h(
      "p",
      {},
      h("a", { class: "btn btn-primary", href: `/auth/login?next=${next}` }, "Sign in again"),
    ),
  );
  loaded();
}

function finish() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  // The token leaves the address bar (and the history) before anything else happens.
  history.replaceState(null, "", location.pathname);
  const [expectedKey, nonce] = cookie().split(".");
  document.cookie = `${COOKIE}=; Max-Age=0; Path=/auth/callback`;
  const [key, ...rest] = (fragment.get("state") || "").split(":");
  const wanted = rest.join(":");
  const next = PAGES.includes(wanted) ? wanted : PAGES[0];
  if (fragment.get("error")) {
    const said = fragment.get("error_description") || fragment.get("error");
    return fail(`The university's login said: “${said}”`, next);
  }
  if (!expectedKey || key !== expectedKey) {
    return fail(
      "This answer does not belong to a sign-in started in this browser, or it took more " +
        "than ten minutes. Start again.",
      next,
    );
  }
  const idToken = fragment.get("id_token");
  const token = idToken || fragment.get("access_token");
  if (!token) return fail("The university's login sent no token back.", next);
  if (idToken && (claims(idToken) || {}).nonce !== nonce) {
    return fail("The token that came back was not made for this sign-in. Start again.", next);
  }
  keepToken(token);
  location.replace(next);
}

finish();
