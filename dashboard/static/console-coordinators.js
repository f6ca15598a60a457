// The console's Coordinators section: who coordinates and how each got the role (the
// university's sign-in, an invitation, a token), the invitations sent, and inviting a colleague
// by email, the address checked as it is typed in the API's own words. Revoking an invitation
// and taking the role away each say first what will happen. Not tied to a programme:
// coordinators run them all, so the page reads afresh after each change and after a drop.

import { confirmAction } from "./console-kit.js";
import { showConsoleNav } from "./console-nav.js";
import { signIn } from "./session.js";
import {
  $,
  alertBox,
  announce,
  busy,
  debounce,
  formatDateTime,
  h,
  keepingFocus,
  loaded,
  pluralise,
  replace,
} from "./ui.js";

const LIST = `query Coordinators {
  coordinators { id name email source since cannotRemove }
  coordinatorInvites { id email invitedBy createdAt acceptedAt }
}`;
const CHECK = `query CheckCoordinatorInvite($email: String!) { checkCoordinatorInvite(email: $email) }`;
const INVITE = `mutation InviteCoordinator($email: String!) {
  inviteCoordinator(email: $email) { id email }
}`;
const REVOKE = `mutation RevokeCoordinatorInvite($id: ID!) {
  revokeCoordinatorInvite(id: $id) { id email }
}`;
const REMOVE = `mutation RemoveCoordinator($id: ID!) {
  removeCoordinator(personId: $id) { personId name }
}`;

// How a coordinator holds the role (the API's RoleSource).
const HOW = {
  CLAIMS: "University sign-in (a group at the university)",
  INVITE: "Invited",
  TOKEN: "Token (API or development)",
  ALUMNI: "Alumni sign-in",
  EMAIL: "Email sign-in link",
};

const state = { api: null, viewer: null };

// A day in the browser's own time zone: these are not any one programme's dates.
const onDay = (iso) =>
  formatDateTime(iso, undefined, { weekday: undefined, hour: undefined, minute: undefined, year: "numeric" });

async function refresh() {
  const data = await state.api.request(LIST);
  renderCoordinators(data.coordinators);
  renderInvites(data.coordinatorInvites);
}

function renderCoordinators(coordinators) {
  const body = $("#coordinators tbody");
  keepingFocus(body, "coordinator", () =>
    replace(
      body,
      coordinators.map((c) => {
        const you = c.id === state.viewer.id;
        let action;
        if (c.cannotRemove) {
          action = h("span", { class: "sub" }, c.cannotRemove);
        } else {
          action = h(
            "button",
            { class: "btn btn-small", type: "button" },
            "Remove…",
            h("span", { class: "visually-hidden" }, ` ${c.name} as a coordinator`),
          );
          action.addEventListener("click", () => busy(action, () => removeCoordinator(c, you)));
        }
        return h(
          "tr",
          { "data-coordinator": c.id },
          h("td", { "data-label": "Name" }, c.name, you ? h("span", { class: "sub" }, " (you)") : null),
          h("td", { "data-label": "Email" }, c.email || "—"),
          h("td", { "data-label": "How" }, HOW[c.source] || c.source),
          h("td", { "data-label": "Since" }, onDay(c.since)),
          h("td", {}, action),
        );
      }),
    ),
    $("#coordinators-title"),
  );
  replace($("#coordinators-count"), pluralise(coordinators.length, "coordinator"));
}

function renderInvites(invites) {
  const body = $("#invites tbody");
  keepingFocus(body, "invite", () =>
    replace(
      body,
      invites.map((invite) => {
        let action = null;
        if (!invite.acceptedAt) {
          action = h(
            "button",
            { class: "btn btn-small", type: "button" },
            "Revoke…",
            h("span", { class: "visually-hidden" }, ` the invitation to ${invite.email}`),
          );
          action.addEventListener("click", () => busy(action, () => revokeInvite(invite)));
        }
        return h(
          "tr",
          { "data-invite": invite.id },
          h("td", { "data-label": "Email" }, invite.email),
          h("td", { "data-label": "Invited by" }, invite.invitedBy || "A former coordinator"),
          h("td", { "data-label": "Sent" }, onDay(invite.createdAt)),
          h(
            "td",
            { "data-label": "Status" },
            invite.acceptedAt ? `Accepted ${onDay(invite.acceptedAt)}` : "Open: not signed in yet",
          ),
          h("td", {}, action),
        );
      }),
    ),
    $("#invites-title"),
  );
  const open = invites.filter((i) => !i.acceptedAt).length;
  $("#invites").hidden = invites.length === 0;
  $("#invites-empty").hidden = invites.length > 0;
  replace($("#invites-count"), invites.length ? `${open} open, ${invites.length - open} accepted` : "");
}

// ---- Inviting --------------------------------------------------------------------------------

function showProblem(message) {
  const input = $("#invite-email");
  replace($("#invite-error"), message || "");
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

// Asks the API whether the address can be invited; shows its sentence when it cannot. While the
// address is still being typed (`typing`), "not an address yet" is not worth saying. An answer
// is shown only while it is about what the field holds: the newest question, the same address.
let asked = 0;
async function checkAddress({ typing }) {
  const ticket = ++asked;
  const email = $("#invite-email").value.trim();
  if (!email) {
    showProblem(typing ? null : "Give the email address to invite.");
    return null;
  }
  const current = () => ticket === asked && $("#invite-email").value.trim() === email;
  try {
    const data = await state.api.request(CHECK, { email });
    if (current()) showProblem(null);
    return data.checkCoordinatorInvite;
  } catch (error) {
    if (!current()) return null;
    showProblem(typing && error.code === "INVALID_INPUT" ? null : error.message);
    return null;
  }
}

async function invite() {
  const address = await checkAddress({ typing: false });
  if (!address) {
    $("#invite-email").focus();
    return;
  }
  const go = await confirmAction({
    title: `Invite ${address} to coordinate?`,
    lines: [
      `A letter goes to ${address} saying that you invited them, to which Mentori, and how to sign in.`,
      "Whoever signs in with this address, vouched for by their sign-in (such as their university " +
        "account), becomes a coordinator: they can change every programme's dates and limits, see " +
        "every profile, and step in on requests.",
      "The invitation stays open until they sign in, or until a coordinator revokes it.",
    ],
    confirm: "Send the invitation",
  });
  if (!go) {
    announce("No invitation was sent.");
    return;
  }
  try {
    await state.api.request(INVITE, { email: address });
  } catch (error) {
    showProblem(error.message);
    alertBox(error.message, { kind: "error" });
    return;
  }
  asked++; // a check still on its way is about the address just invited
  $("#invite-email").value = "";
  showProblem(null);
  alertBox(`The invitation is on its way to ${address}.`, { kind: "success" });
  await refresh();
}

// ---- Revoking and removing -------------------------------------------------------------------

async function revokeInvite(invite) {
  const go = await confirmAction({
    title: `Revoke the invitation to ${invite.email}?`,
    lines: [
      `Signing in with ${invite.email} no longer makes anyone a coordinator; the letter already ` +
        "sent leads nowhere.",
      "You can invite the address again later.",
    ],
    confirm: "Revoke the invitation",
    danger: true,
  });
  if (!go) {
    announce("The invitation stays open.");
    return;
  }
  try {
    await state.api.request(REVOKE, { id: invite.id });
    alertBox(`The invitation to ${invite.email} is revoked.`, { kind: "success" });
  } catch (error) {
    alertBox(error.message, { kind: "error" });
  }
  await refresh();
}

function removalLines(c, you) {
  const lines = [
    you
      ? "You stop being a coordinator at once: this console closes for you, and your next request " +
        "is refused as a coordinator's."
      : `${c.name} stops being a coordinator at once: their open pages are signed out, and their ` +
        "next request is refused as a coordinator's.",
    `${you ? "You keep" : "They keep"} any other role held in Mentori (a mentor's or a student's).`,
  ];
  if (c.source === "TOKEN") {
    lines.push("The token that made them a coordinator no longer does.");
  }
  lines.push(`To make ${you ? "you" : "them"} a coordinator again, a coordinator invites the address again.`);
  return lines;
}

async function removeCoordinator(c, you) {
  const go = await confirmAction({
    title: you ? "Stop being a coordinator?" : `Remove ${c.name} as a coordinator?`,
    lines: removalLines(c, you),
    confirm: you ? "Stop being a coordinator" : `Remove ${c.name}`,
    danger: true,
  });
  if (!go) {
    announce(`${you ? "You stay" : `${c.name} stays`} a coordinator.`);
    return;
  }
  try {
    await state.api.request(REMOVE, { id: c.id });
  } catch (error) {
    alertBox(error.message, { kind: "error" });
    await refresh();
    return;
  }
  if (you) {
    alertBox("You are no longer a coordinator.", { kind: "success" });
    return; // the server signs this page out
  }
  alertBox(`${c.name} is no longer a coordinator.`, { kind: "success" });
  await refresh();
}

async function main() {
  let wasLive = false;
  const session = await signIn("COORDINATOR", {
    onStatus: (status) => {
      // Back after a drop: what changed meanwhile is read again.
      if (status === "live" && wasLive) refresh().catch((error) => alertBox(error.message, { kind: "error" }));
      if (status === "live") wasLive = true;
    },
  });
  if (!session) return;
  showConsoleNav();
  state.api = session.api;
  state.viewer = session.viewer;
  session.live.ensureConnected(); // nothing to follow, but a sign-out reaches the page through it

  const input = $("#invite-email");
  const typed = debounce(() => checkAddress({ typing: true }), 250);
  input.addEventListener("input", typed);
  input.addEventListener("change", () => checkAddress({ typing: false }));
  const form = $("#invite-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("[type=submit]"), invite);
  });

  try {
    await refresh();
  } catch (error) {
    alertBox(error.message, { kind: "error" });
  }
  loaded();
}

main();
