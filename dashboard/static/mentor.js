// The mentor inbox: the profile's status and places left, requests arriving live (a visible
// alert, and a desktop notification where allowed), accept or decline with a reason, and the
// mentee's contact details once accepted.

import { confirmTakeOff } from "./mentor-confirm.js";
import { chosenProgramme, showProgrammePicker, signIn } from "./session.js";
import {
  $,
  alertBox,
  announce,
  badge,
  busy,
  debounce,
  formatDateTime,
  h,
  label,
  loaded,
  localId,
  pluralise,
  replace,
  showError,
} from "./ui.js";
import { pairAnchor, programmeYear } from "./year.js";

const REQUEST_FIELDS = `
  id status message reason createdAt decidedAt expiresAt
  mentor { id }
  student {
    id displayName degreeLevel international onExchange contactEmail erased
    field { name school } languages { name }
  }`;

const PROFILE_FIELDS = `
  id displayName headline status availability capacity acceptedCount remainingCapacity
  hiddenByCoordinator { hiddenAt reason }
  programme { id name timezone mentorPendingLimit }`;

// The profile page, in the programme this page shows.
const profilePage = () => {
  const chosen = new URLSearchParams(location.search).get("programme");
  return chosen ? `/mentor/profile?programme=${encodeURIComponent(chosen)}` : "/mentor/profile";
};

const INBOX = `query Inbox($programmeId: ID) {
  programme(id: $programmeId) { id name }
  myMentorProfile(programmeId: $programmeId) { ${PROFILE_FIELDS} }
  myRequests(programmeId: $programmeId) { ${REQUEST_FIELDS} }
}`;
const EVENTS = `subscription MyRequestEvents($programmeId: ID) {
  myRequestEvents(programmeId: $programmeId) { seq kind at request { ${REQUEST_FIELDS} } } }`;
const ACCEPT = `mutation Accept($id: ID!) { acceptRequest(requestId: $id) { ${REQUEST_FIELDS} } }`;
const REJECT = `mutation Reject($id: ID!, $reason: String) {
  rejectRequest(requestId: $id, reason: $reason) { ${REQUEST_FIELDS} } }`;
const PUBLISH = `mutation Publish($programmeId: ID) {
  publishMentorProfile(programmeId: $programmeId) { ${PROFILE_FIELDS} } }`;
const WITHDRAW = `mutation Withdraw($programmeId: ID) {
  withdrawMentorProfile(programmeId: $programmeId) { ${PROFILE_FIELDS} } }`;

const state = {
  profile: null,
  requests: new Map(),
  read: false, // the inbox has been read once
  knownPending: null, // ids of pending requests already shown (null before the first read)
  rejecting: null,
};

const tz = () => (state.profile ? state.profile.programme.timezone : undefined);

// ---- Profile --------------------------------------------------------------------------------

const AVAILABILITY_TEXT = {
  AVAILABLE: "Students can find you and ask you to mentor them.",
  BUSY: "Requests are waiting for you: students see you as busy until you answer one.",
  FULL: "Every place is taken, so you no longer appear in students' searches.",
};

const STATUS_TEXT = {
  DRAFT: "Your profile is a draft: publish it so that students can find you.",
  WITHDRAWN: "You took your profile off the list: students cannot find you.",
};

function renderProfile(api) {
  const p = state.profile;
  const actions = $("#profile-actions");
  if (!p) {
    replace(
      $("#profile-body"),
      h(
        "p",
        { class: "empty" },
        "You have no mentor profile in the current programme yet. Create one during mentor " +
          "sign-up; this page then shows the requests students send you.",
      ),
    );
    replace(
      actions,
      h("a", { class: "btn btn-primary btn-small", href: profilePage() }, "Create your profile"),
    );
    return;
  }
  const taken = p.acceptedCount;
  replace(
    $("#profile-body"),
    h(
      "div",
      { class: "layout-two" },
      h(
        "div",
        {},
        h("h2", {}, p.displayName),
        h("p", { class: "hint" }, p.headline),
        h(
          "p",
          { class: "actions" },
          badge(p.status),
          p.status === "PUBLISHED" ? badge(p.availability) : null,
        ),
        h(
          "p",
          { id: "profile-explain" },
          p.hiddenByCoordinator
            ? hiddenText(p)
            : p.status === "PUBLISHED"
              ? AVAILABILITY_TEXT[p.availability]
              : STATUS_TEXT[p.status],
        ),
      ),
      h(
        "div",
        {},
        h("p", { class: "stat-note" }, `${p.programme.name}`),
        h(
          "p",
          { id: "capacity", "data-remaining": p.remainingCapacity },
          h("strong", {}, pluralise(p.remainingCapacity, "place")),
          ` left: ${taken} of ${p.capacity} taken.`,
        ),
        h(
          "div",
          {
            class: "meter",
            role: "meter",
            "aria-label": "Places taken",
            "aria-valuemin": 0,
            "aria-valuemax": p.capacity,
            "aria-valuenow": taken,
          },
          h("span", { style: { width: `${(100 * taken) / p.capacity}%` } }),
        ),
      ),
    ),
  );
  const button =
    p.status === "PUBLISHED"
      ? h("button", { class: "btn btn-small", type: "button" }, "Take off the list…")
      : h("button", { class: "btn btn-primary btn-small", type: "button" }, "Publish profile");
  button.addEventListener("click", () =>
    busy(button, async () => {
      const waiting = [...state.requests.values()].filter(
        (r) => r.status === "PENDING" && r.mentor.id === p.id,
      );
      if (p.status === "PUBLISHED" && !(await confirmTakeOff(p, waiting))) return;
      try {
        const mutation = p.status === "PUBLISHED" ? WITHDRAW : PUBLISH;
        const data = await api.request(mutation, { programmeId: p.programme.id });
        state.profile = data.publishMentorProfile || data.withdrawMentorProfile;
        renderProfile(api);
      } catch (error) {
        showError(error);
      }
    }),
  );
  const edit = h("a", { class: "btn btn-small", href: profilePage() }, "Edit profile");
  // Held by a coordinator: publishing is refused until they lift the hold.
  replace(actions, edit, p.hiddenByCoordinator ? null : button);
}

function hiddenText(p) {
  const held = p.hiddenByCoordinator;
  const day = formatDateTime(held.hiddenAt, tz(), {
    weekday: undefined,
    hour: undefined,
    minute: undefined,
    year: "numeric",
  });
  return (
    `A coordinator took your profile off the students' list on ${day}. Their reason: ${held.reason} ` +
    "You cannot publish it again until they allow it: to ask, reply to the email they sent you."
  );
}

// ---- Requests -------------------------------------------------------------------------------

function studies(student) {
  return [
    label(student.degreeLevel),
    student.field && `${student.field.name} (${student.field.school})`,
    student.languages.map((l) => l.name).join(", "),
    student.international ? "International student" : null,
    student.onExchange ? "On exchange" : null,
  ]
    .filter(Boolean)
    .join(" · ");
}

function requestCard(request, api) {
  const s = request.student;
  const card = h(
    "li",
    {
      class: "card profile-card",
      "data-request": request.id,
      "data-status": request.status,
      tabindex: "-1",
      "aria-labelledby": `req-${request.id}`,
    },
    h(
      "div",
      { class: "card-head" },
      h("div", {}, h("h3", { id: `req-${request.id}` }, s.displayName)),
      badge(request.status),
    ),
    h("p", { class: "hint" }, studies(s)),
    request.message ? h("blockquote", { class: "message" }, request.message) : null,
  );
  const when = [`Sent ${formatDateTime(request.createdAt, tz())}`];
  if (request.status === "PENDING" && request.expiresAt) {
    when.push(`lapses ${formatDateTime(request.expiresAt, tz())} unless answered`);
  } else if (request.decidedAt) {
    when.push(`${label(request.status).toLowerCase()} ${formatDateTime(request.decidedAt, tz())}`);
  }
  card.append(h("p", { class: "hint" }, when.join(" · ")));
  if (request.reason) card.append(h("p", { class: "hint" }, `Reason: ${request.reason}`));

  if (request.status === "ACCEPTED") {
    card.append(
      h(
        "p",
        { class: "contact" },
        s.erased
          ? "This mentee erased their data; the match stays as an anonymous record."
          : s.contactEmail
            ? ["Contact: ", h("a", { href: `mailto:${s.contactEmail}` }, s.contactEmail)]
            : "Their contact details are on their way to you by email.",
      ),
      h(
        "p",
        {},
        h("a", { href: `#${pairAnchor(s.id)}` }, `Meetings and surveys with ${s.displayName}`),
      ),
    );
  }
  if (request.status === "PENDING") {
    const accept = h("button", { class: "btn btn-primary", type: "button" }, "Accept");
    const decline = h("button", { class: "btn btn-danger", type: "button" }, "Decline…");
    accept.setAttribute("aria-describedby", `req-${request.id}`);
    decline.setAttribute("aria-describedby", `req-${request.id}`);
    accept.addEventListener("click", () => busy(accept, () => acceptRequest(request, api)));
    decline.addEventListener("click", () => openReject(request));
    card.append(h("div", { class: "actions" }, accept, decline));
  }
  return card;
}

function renderRequests(api) {
  const mine = [...state.requests.values()].filter(
    (r) => !state.profile || r.mentor.id === state.profile.id,
  );
  const byAge = (a, b) =>
    Date.parse(a.createdAt) - Date.parse(b.createdAt) || localId(a.id) - localId(b.id);
  const waiting = mine.filter((r) => r.status === "PENDING").sort(byAge);
  const mentees = mine.filter((r) => r.status === "ACCEPTED").sort(byAge);
  const history = mine
    .filter((r) => r.status !== "PENDING" && r.status !== "ACCEPTED")
    .sort((a, b) => byAge(b, a));
  // The lists are drawn anew on every event and read: the card that held focus (an accepted
  // mentee's, just focused; a request shown from the banner) keeps it, in whichever list it
  // is now, so that focus does not fall to the page's start.
  const cards = ":is(#waiting, #mentees, #history) > [data-request]";
  const active = document.activeElement;
  const held = active?.closest?.(cards);
  const control = held && active !== held ? active.textContent : null;
  replace($("#waiting"), waiting.map((r) => requestCard(r, api)));
  replace($("#mentees"), mentees.map((r) => requestCard(r, api)));
  replace($("#history"), history.map((r) => requestCard(r, api)));
  if (held && !held.isConnected) {
    const card = document.querySelector(cards.replace("]", `="${held.dataset.request}"]`));
    const same = card && [...card.querySelectorAll("a, button")].find((e) => e.textContent === control);
    (same || card)?.focus();
  }
  $("#waiting-empty").hidden = waiting.length > 0;
  $("#mentees-empty").hidden = mentees.length > 0;
  $("#history-empty").hidden = history.length > 0;
  replace($("#waiting-note"), waiting.length ? pluralise(waiting.length, "request") : "");

  // Anything pending that this page had not shown before is news, however it arrived.
  if (!state.read) return; // what the first read finds is the inbox, not news
  const ids = new Set(waiting.map((r) => r.id));
  const banner = $("#new-request-banner");
  if (banner.dataset.request && !ids.has(banner.dataset.request)) banner.hidden = true; // answered
  if (state.knownPending !== null) {
    for (const r of waiting) if (!state.knownPending.has(r.id)) newRequestArrived(r);
  }
  state.knownPending = ids;
}

function newRequestArrived(request) {
  const name = request.student.displayName;
  const banner = $("#new-request-banner");
  const view = h("button", { class: "btn btn-small", type: "button" }, "Show it");
  view.addEventListener("click", () => {
    const card = document.querySelector(`[data-request="${request.id}"]`);
    if (card) {
      card.scrollIntoView({ block: "center" });
      card.focus();
    }
  });
  replace(banner, h("p", { class: "grow" }, h("strong", {}, "New request"), ` from ${name}.`), view);
  banner.dataset.request = request.id;
  banner.hidden = false;
  if ("Notification" in window && Notification.permission === "granted") {
    try {
      new Notification("New mentoring request", {
        body: `${name} asks you to be their mentor.`,
        tag: `mentori-${request.id}`,
        icon: "/static/favicon.svg",
      });
    } catch {
      // some browsers allow notifications only from a service worker: the banner remains
    }
  }
}

const EVENT_TEXT = {
  WITHDRAWN: (n) => `${n} withdrew their request.`,
  EXPIRED: (n) => `The request from ${n} lapsed without an answer.`,
  CLOSED_MENTOR_FULL: (n) => `The request from ${n} closed: your places are full.`,
  ACCEPTED: (n) => `${n} is now your mentee.`,
  REJECTED: (n) => `The request from ${n} was declined.`,
};

async function acceptRequest(request, api) {
  try {
    const data = await api.request(ACCEPT, { id: request.id });
    state.requests.set(data.acceptRequest.id, data.acceptRequest);
    renderRequests(api);
    alertBox(`You are now ${request.student.displayName}'s mentor. Their contact details are below.`, {
      kind: "success",
    });
    const card = document.querySelector(`#mentees [data-request="${request.id}"]`);
    if (card) card.focus();
  } catch (error) {
    showError(error);
  }
}

function openReject(request) {
  state.rejecting = request;
  replace($("#reject-who"), `${request.student.displayName} can then ask another mentor at once.`);
  $("#reject-reason").value = "";
  replace($("#reject-error"));
  $("#reject-dialog").showModal();
  $("#reject-reason").focus();
}

function wireRejectDialog(api) {
  const dialog = $("#reject-dialog");
  $("#reject-cancel").addEventListener("click", () => dialog.close());
  $("#reject-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const request = state.rejecting;
    const button = $("#reject-confirm");
    busy(button, async () => {
      try {
        const reason = $("#reject-reason").value.trim() || null;
        const data = await api.request(REJECT, { id: request.id, reason });
        state.requests.set(data.rejectRequest.id, data.rejectRequest);
        dialog.close();
        renderRequests(api);
        alertBox(`You declined ${request.student.displayName}'s request.`, { kind: "success" });
      } catch (error) {
        replace($("#reject-error"), error.message);
      }
    });
  });
}

function wireNotifications() {
  const button = $("#notify");
  const update = () => {
    button.hidden = !("Notification" in window) || Notification.permission !== "default";
  };
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    update();
  });
  update();
}

// ---- Wiring ---------------------------------------------------------------------------------

async function main() {
  let wasLive = false;
  let refresh = () => {};
  const session = await signIn("MENTOR", {
    onStatus: (status) => {
      if (status === "live" && wasLive) refresh(); // what changed while the line was down
      if (status === "live") wasLive = true;
    },
  });
  if (!session) return;
  const { api, live } = session;
  const chosen = chosenProgramme(session.viewer);
  wireRejectDialog(api);
  wireNotifications();
  const year = programmeYear({ session, role: "MENTOR", root: $("#programme-year") });

  const load = async () => {
    const data = await api.request(INBOX, { programmeId: chosen });
    showProgrammePicker(session.viewer, data.programme);
    state.profile = data.myMentorProfile;
    state.requests = new Map(data.myRequests.map((r) => [r.id, r]));
    state.read = true;
    renderProfile(api);
    renderRequests(api);
    // The programme year, once the mentor has a mentee; read again with every inbox read.
    year.show(state.profile?.acceptedCount > 0, state.profile?.programme.id);
  };
  refresh = debounce(() => load().catch((error) => showError(error)), 100);

  // Listening starts before the first read, so nothing falls between the two; every event is
  // followed by a fresh read anyway (places left, contact details).
  live.subscribe(
    EVENTS,
    { programmeId: chosen },
    {
      next: (data) => {
        const event = data.myRequestEvents;
        const request = event.request;
        state.requests.set(request.id, request);
        renderRequests(api);
        const text = EVENT_TEXT[event.kind];
        if (text && event.kind !== "ACCEPTED" && event.kind !== "REJECTED") {
          alertBox(text(request.student.displayName));
        } else if (event.kind !== "SENT") {
          announce(text ? text(request.student.displayName) : "");
        }
        refresh();
      },
      // A subscription that fails is explained in the page's status area (session.js).
      resync: () => refresh(),
    },
  );
  try {
    await load();
  } catch (error) {
    showError(error);
  }
  loaded();
}

main();
