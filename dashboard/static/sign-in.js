// The sign-in gate, shown to a person the page does not know yet: a button for each identity
// provider the server trusts (the server runs the login and comes back to this page with an
// HttpOnly session cookie, app/signin.py), a form that emails a sign-in link to alumni with no
// university account, and on a development server the development tokens.
//
// Development tokens: `make run` prints links such as /dashboard#token=<jwt>. The token is taken
// from the fragment (which never reaches the server or its logs), kept in this tab's
// sessionStorage and removed from the address bar. Only a development server takes such links
// (the server says which it is, /auth/config): on another, anyone could send a link that signs
// whoever opens it in as the sender.

import { PAGES } from "./roles.js";
import { $, busy, h, replace } from "./ui.js";

const KEY = "mentori.token";

// A sign-in link opened in a tab that already shows a page changes only the fragment.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).has("token")) location.reload();
});

// The token of a `#token=` link, which leaves the address bar (and the history) at once.
function tokenFromAddress() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (token === null) return null;
  fragment.delete("token");
  const rest = fragment.toString();
  history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  return token;
}

// The development token to sign in with (null: the session cookie, if any, signs in), and
// whether a link's token was turned down.
export async function takeToken() {
  const offered = tokenFromAddress();
  if (offered) {
    const options = await signInOptions();
    if (options?.development !== true) {
      return { token: sessionStorage.getItem(KEY), linkRefused: true };
    }
    sessionStorage.setItem(KEY, offered);
  }
  return { token: sessionStorage.getItem(KEY), linkRefused: false };
}

// After sign-out or erasure: this tab no longer holds a development token.
export function forget() {
  sessionStorage.removeItem(KEY);
}

// How this server signs people in (/auth/config), asked once; null when it cannot be asked.
let signInOptionsAsked = null;

export function signInOptions() {
  signInOptionsAsked ??= fetch("/auth/config", { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .catch(() => null);
  return signInOptionsAsked;
}

// The provider a person last left for, so that the sign-out can name its own login.
const PROVIDER = "mentori.provider";

function providerButtons(providers, next) {
  return h(
    "div",
    { class: "actions" },
    providers.map(({ key, label, loginUrl }) => {
      const separator = loginUrl.includes("?") ? "&" : "?";
      const href = `${loginUrl}${separator}next=${encodeURIComponent(next)}`;
      const remember = () => localStorage.setItem(PROVIDER, key);
      return h("a", { class: "btn btn-primary", href, onclick: remember }, `Sign in with ${label}`);
    }),
  );
}

// The server's sentence from an error answer, or what the status says.
async function refusal(response) {
  const body = await response.json().catch(() => null);
  return (
    body?.errors?.[0]?.message ||
    body?.message ||
    `The server answered ${response.status}: try again in a moment.`
  );
}

function emailLinkForm(next) {
  const input = h("input", {
    id: "email-link-address",
    type: "email",
    name: "email",
    autocomplete: "email",
    spellcheck: "false",
    required: true,
    "aria-describedby": "email-link-error",
  });
  const error = h("p", { id: "email-link-error", class: "form-error", role: "alert" });
  const sent = h("p", { id: "email-link-sent", class: "hint", role: "status" });
  const button = h("button", { class: "btn" }, "Email me a sign-in link");
  const form = h(
    "form",
    { class: "gate-email", novalidate: true, "aria-labelledby": "email-link-title" },
    h("h2", { id: "email-link-title" }, "Alumni without a university account"),
    h("p", {}, "Get a sign-in link by email. It works once, in the next few minutes."),
    h(
      "div",
      { class: "field" },
      h("label", { for: "email-link-address" }, "Your email address"),
      h("div", { class: "actions" }, input, button),
    ),
    error,
    sent,
  );
  const say = (problem, done = "") => {
    replace(error, problem);
    replace(sent, done);
    if (problem) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = input.value.trim();
    if (!email || !input.checkValidity()) {
      say(
        email
          ? "That is not an email address: check it, like name@example.org."
          : "Enter your email address.",
      );
      input.focus();
      return;
    }
    say("");
    await busy(button, async () => {
      try {
        const response = await fetch("/auth/email-link", {
          method: "POST",
          credentials: "same-origin",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ email, next }),
        });
        if (response.ok) {
          const body = await response.json().catch(() => ({}));
          say("", body.message || "Check your inbox: the link is on its way.");
        } else {
          say(await refusal(response));
        }
      } catch {
        say("The server cannot be reached. Check your connection and try again.");
      }
    });
  });
  return form;
}

function tokenForm() {
  const input = h("input", {
    id: "token-input",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const form = h(
    "form",
    { class: "field" },
    h("label", { for: "token-input" }, "Or paste a token"),
    h("div", { class: "actions" }, input, h("button", { class: "btn btn-primary" }, "Sign in")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    location.reload();
  });
  return form;
}

function developmentHelp(who, path) {
  return [
    h(
      "p",
      {},
      "On a development server, open the link that ",
      h("code", {}, "make run"),
      " prints for your role, or get a token with ",
      h("code", {}, `mentori token ${who}`),
      " and open ",
      h("code", {}, `${location.origin}${path}#token=<token>`),
      ".",
    ),
    tokenForm(),
  ];
}

// What the sign-out left to do: the provider's own login may still know the person.
function signedOutNote({ endSessionUrl }, providers) {
  const left = providers.find((p) => p.key === localStorage.getItem(PROVIDER));
  return h(
    "p",
    { class: "banner", role: "status" },
    "You are signed out of Mentori.",
    endSessionUrl
      ? h(
          "a",
          { href: endSessionUrl },
          left ? `Also sign out of ${left.label} login` : "Also sign out of the sign-in service",
        )
      : null,
  );
}

// The gate for a page of `role`: `problem` says why the person is here again, `signedOut` is the
// answer of a sign-out just done.
export async function showGate(role, { problem = null, signedOut = null } = {}) {
  const { page, who, path } = PAGES[role];
  // Offline, the development instructions are still right there.
  const options = (await signInOptions()) || { providers: [], development: true };
  const providers = options.providers || [];
  // An emailed link signs in an alumna or alumnus as a mentor (services/email_links.py): a
  // student without a university account has no use for it.
  const byEmail = options.emailSignIn && role !== "STUDENT";
  const next = location.pathname;
  const heading = h("h1", { id: "gate-title", tabindex: "-1" }, `Sign in to open the ${page}`);
  replace(
    $("#gate"),
    h(
      "section",
      { class: "card notice", "aria-labelledby": "gate-title" },
      heading,
      signedOut ? signedOutNote(signedOut, providers) : null,
      problem ? h("p", { class: "banner banner-error", role: "alert" }, problem) : null,
      providers.length
        ? [
            h("p", {}, "Mentori signs you in through a login you already have."),
            providerButtons(providers, next),
          ]
        : null,
      byEmail ? emailLinkForm(next) : null,
      !providers.length && !byEmail && !options.development
        ? h("p", {}, "Sign-in is not set up on this server yet: ask its administrator.")
        : null,
      options.development ? developmentHelp(who, path) : null,
    ),
  );
  $("#gate").hidden = false;
  $("#app").hidden = true;
  return heading;
}
