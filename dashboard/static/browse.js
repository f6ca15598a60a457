// The student's mentor search: filters, profile cards, one request at a time. Live: a mentor who
// fills up leaves the list, one who becomes busy says so, and the student's own request changes
// state the moment the mentor decides.

import { signIn } from "./session.js";
import {
  $,
  alertBox,
  announce,
  badge,
  busy,
  debounce,
  formatDate,
  formatDateTime,
  h,
  label,
  loaded,
  localId,
  pluralise,
  replace,
  showError,
} from "./ui.js";

const REQUEST_FIELDS = `
  id status message reason createdAt decidedAt expiresAt
  mentor { id displayName headline availability contactEmail }`;

const MENTOR_FIELDS = `
  id displayName headline city location remoteOk hasDoctorate workingLifeYears
  capacity remainingCapacity availability degreeLevels
  languages { code name } fields { id name }
  educationalBackground professionalBackground careerExperience`;

const STUDENT_FIELDS = `id displayName degreeLevel matched field { id name } languages { code name }`;

const BOOT = `query Browse {
  programme { id name timezone studentPendingLimit phases { phase opensOn closesOn isOpen } }
  myStudentProfile { ${STUDENT_FIELDS} }
  myRequests { ${REQUEST_FIELDS} }
  languages { code name }
  fields { id name school }
}`;
const MINE = `query Mine {
  myStudentProfile { ${STUDENT_FIELDS} }
  myRequests { ${REQUEST_FIELDS} }
}`;
const SEARCH = `query Search($filter: MentorFilter, $after: String, $programmeId: ID) {
  mentors(filter: $filter, first: 24, after: $after, programmeId: $programmeId) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ${MENTOR_FIELDS} } }
  }
}`;
const AVAILABILITY = `subscription Availability($filter: MentorFilter, $programmeId: ID) {
  mentorAvailabilityChanged(filter: $filter, programmeId: $programmeId) {
    seq mentorId availability previous capacity remainingCapacity pendingCount
    mentor { ${MENTOR_FIELDS} }
  }
}`;
const REQUEST_EVENTS = `subscription MyRequestEvents {
  myRequestEvents { seq kind at request { ${REQUEST_FIELDS} } } }`;
const SEND = `mutation Send($mentorId: ID!, $message: String!) {
  sendRequest(mentorId: $mentorId, message: $message) { ${REQUEST_FIELDS} } }`;
const WITHDRAW = `mutation Withdraw($id: ID!) {
  withdrawRequest(requestId: $id) { ${REQUEST_FIELDS} } }`;
const SAVE_PROFILE = `mutation SaveProfile($input: StudentProfileInput!) {
  updateStudentProfile(input: $input) { ${STUDENT_FIELDS} } }`;

const state = {
  programme: null,
  student: null,
  requests: new Map(),
  results: [],
  totalCount: 0,
  hasNext: false,
  endCursor: null,
  sending: null,
  searchSeq: 0,
};

const tz = () => state.programme.timezone;
const pending = () => [...state.requests.values()].filter((r) => r.status === "PENDING");
const accepted = () => [...state.requests.values()].find((r) => r.status === "ACCEPTED");

// ---- Filters --------------------------------------------------------------------------------

function fillFilters(languages, fields) {
  $("#filter-language").append(...languages.map((l) => h("option", { value: l.code }, l.name)));
  const schools = new Map();
  for (const f of fields) {
    if (!schools.has(f.school)) schools.set(f.school, []);
    schools.get(f.school).push(f);
  }
  const groups = () =>
    [...schools.entries()].map(([school, list]) =>
      h("optgroup", { label: school }, list.map((f) => h("option", { value: f.id }, f.name))),
    );
  $("#filter-field").append(...groups());
  $("#setup-field").append(...groups());
  $("#setup-languages").append(
    ...languages.map((l) =>
      h("label", {}, h("input", { type: "checkbox", value: l.code, name: "language" }), l.name),
    ),
  );
}

function currentFilter() {
  const filter = {};
  const text = $("#filter-text").value.trim();
  if (text) filter.text = text;
  if ($("#filter-language").value) filter.languages = [$("#filter-language").value];
  if ($("#filter-degree").value) filter.degreeLevel = $("#filter-degree").value;
  if ($("#filter-field").value) filter.fields = [$("#filter-field").value];
  return filter;
}

// ---- Mentor cards ---------------------------------------------------------------------------

function requestButton(mentor) {
  const button = (text, attrs = {}) => h("button", { class: "btn", type: "button", ...attrs }, text);
  if (!state.student) return null;
  if (state.student.matched) return null;
  const mine = pending().find((r) => r.mentor.id === mentor.id);
  if (mine) return button("Request sent", { disabled: true });
  if (mentor.availability === "BUSY") {
    return [
      button("Busy right now", { disabled: true }),
      h("span", { class: "hint" }, "Others are waiting for this mentor's answer."),
    ];
  }
  if (pending().length >= state.programme.studentPendingLimit) {
    return [
      button("Ask to be mentored", { disabled: true }),
      h("span", { class: "hint" }, "Your request is waiting for an answer."),
    ];
  }
  const ask = button("Ask to be mentored", { class: "btn btn-primary" });
  ask.setAttribute("aria-label", `Ask ${mentor.displayName} to mentor you`);
  ask.addEventListener("click", () => openSend(mentor));
  return ask;
}

function mentorCard(mentor) {
  const place = mentor.location === "ABROAD" ? "abroad" : "in Finland";
  const where = [mentor.city ? `${mentor.city}, ${place}` : label(mentor.location)];
  if (mentor.remoteOk) where.push("remote meetings OK");
  const experience = [`${mentor.workingLifeYears} years of working life`];
  if (mentor.hasDoctorate) experience.push("holds a doctorate");
  const titleId = `mentor-${localId(mentor.id)}`;
  return h(
    "li",
    {
      class: "card profile-card",
      "data-mentor": mentor.id,
      "data-availability": mentor.availability,
      "aria-labelledby": titleId,
    },
    h(
      "div",
      { class: "card-head" },
      h(
        "div",
        {},
        h("h3", { id: titleId }, mentor.displayName),
        h("p", { class: "headline" }, mentor.headline),
      ),
      badge(mentor.availability),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Languages"),
      h("dd", {}, mentor.languages.map((l) => l.name).join(", ")),
      h("dt", {}, "Fields"),
      h("dd", {}, mentor.fields.map((f) => f.name).join(", ")),
      h("dt", {}, "Takes"),
      h("dd", {}, mentor.degreeLevels.map((d) => `${label(d)} students`).join(", ")),
      h("dt", {}, "Lives"),
      h("dd", {}, where.join(" · ")),
      h("dt", {}, "Experience"),
      h("dd", {}, experience.join(", ")),
      h("dt", {}, "Places"),
      h(
        "dd",
        { class: "places" },
        `${mentor.remainingCapacity} of ${pluralise(mentor.capacity, "place")} left`,
      ),
    ),
    h(
      "details",
      {},
      h("summary", {}, `More about ${mentor.displayName.split(" ")[0]}`),
      h("h4", {}, "Education"),
      h("p", {}, mentor.educationalBackground || "—"),
      h("h4", {}, "Work"),
      h("p", {}, mentor.professionalBackground || "—"),
      h("h4", {}, "Career"),
      h("p", {}, mentor.careerExperience || "—"),
    ),
    h("div", { class: "actions" }, requestButton(mentor)),
  );
}

function renderResults() {
  replace($("#results"), state.results.map(mentorCard));
  renderCount();
  $("#results-more").hidden = !state.hasNext;
}

function renderCount() {
  $("#results-empty").hidden = state.results.length > 0;
  replace(
    $("#results-count"),
    `${pluralise(state.totalCount, "mentor")} ${state.totalCount === 1 ? "matches" : "match"} your search`,
  );
}

function replaceCard(mentor) {
  const old = document.querySelector(`#results [data-mentor="${mentor.id}"]`);
  if (old) old.replaceWith(mentorCard(mentor));
}

// ---- Live availability ----------------------------------------------------------------------

function onAvailability(event) {
  const index = state.results.findIndex((m) => m.id === event.mentorId);
  if (event.availability === "FULL" || event.availability === "HIDDEN") {
    if (index < 0) return;
    const [gone] = state.results.splice(index, 1);
    state.totalCount = Math.max(0, state.totalCount - 1);
    const card = document.querySelector(`#results [data-mentor="${gone.id}"]`);
    const why = event.availability === "FULL" ? "is now full" : "is no longer listed";
    announce(`${gone.displayName} ${why} and has left the list.`);
    if (card) {
      card.classList.add("is-leaving");
      card.dataset.leaving = "true";
      setTimeout(() => card.remove(), 400);
    }
    renderCount();
    return;
  }
  if (index >= 0) {
    const mentor = {
      ...state.results[index],
      ...(event.mentor || {}),
      availability: event.availability,
      capacity: event.capacity,
      remainingCapacity: event.remainingCapacity,
    };
    state.results[index] = mentor;
    replaceCard(mentor);
    if (event.previous !== event.availability) {
      announce(`${mentor.displayName} is now ${label(event.availability).toLowerCase()}.`);
    }
    return;
  }
  // Newly listed and matching this search: show it if it falls inside the loaded range.
  const mentor = event.mentor;
  if (!mentor) return;
  const id = localId(mentor.id);
  const last = state.results.length ? localId(state.results[state.results.length - 1].id) : 0;
  if (state.hasNext && id > last) return; // "Show more" brings it
  const at = state.results.findIndex((m) => localId(m.id) > id);
  state.results.splice(at < 0 ? state.results.length : at, 0, mentor);
  state.totalCount += 1;
  renderResults();
}

// ---- My request -----------------------------------------------------------------------------

function requestPhaseNote() {
  const phase = state.programme.phases.find((p) => p.phase === "STUDENT_REQUESTS");
  if (!phase) return `${state.programme.name}: request dates to be announced.`;
  const until = formatDate(phase.closesOn, { year: "numeric" });
  return phase.isOpen
    ? `${state.programme.name}: requests are open until ${until}.`
    : `${state.programme.name}: requests are open ${formatDate(phase.opensOn)} – ${until}.`;
}

function myRequestCard(request, api) {
  const m = request.mentor;
  const lines = [`Sent ${formatDateTime(request.createdAt, tz())}`];
  if (request.status === "PENDING" && request.expiresAt) {
    lines.push(`lapses ${formatDateTime(request.expiresAt, tz())} if unanswered`);
  }
  const card = h(
    "div",
    { class: "profile-card", "data-request": request.id, "data-status": request.status },
    h(
      "div",
      { class: "card-head" },
      h("div", {}, h("h3", {}, m.displayName), h("p", { class: "headline" }, m.headline)),
      badge(request.status),
    ),
    request.message ? h("blockquote", { class: "message" }, request.message) : null,
    h("p", { class: "hint" }, lines.join(" · ")),
    request.reason ? h("p", {}, `Reason: ${request.reason}`) : null,
  );
  if (request.status === "ACCEPTED") {
    card.append(
      h(
        "p",
        { class: "contact" },
        m.contactEmail
          ? [`Write to ${m.displayName}: `, h("a", { href: `mailto:${m.contactEmail}` }, m.contactEmail)]
          : "Your mentor's contact details are on their way to you by email.",
      ),
    );
  }
  if (request.status === "PENDING") {
    const withdraw = h("button", { class: "btn btn-danger", type: "button" }, "Withdraw request");
    withdraw.addEventListener("click", () =>
      busy(withdraw, async () => {
        try {
          const data = await api.request(WITHDRAW, { id: request.id });
          state.requests.set(request.id, data.withdrawRequest);
          renderMine(api);
          renderResults();
          alertBox("Request withdrawn. You can ask another mentor now.", { kind: "success" });
        } catch (error) {
          showError(error);
        }
      }),
    );
    card.append(h("div", { class: "actions" }, withdraw));
  }
  return card;
}

function renderMine(api) {
  replace($("#programme-note"), requestPhaseNote());
  const body = $("#my-request-body");
  $("#profile-setup").hidden = Boolean(state.student);
  if (!state.student) {
    replace(body, h("p", {}, "Tell us about your studies below, then choose a mentor."));
    return;
  }
  const all = [...state.requests.values()].sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || localId(b.id) - localId(a.id),
  );
  const current = accepted() || pending()[0];
  const earlier = all.filter((r) => r !== current);
  const latest = earlier[0];
  let intro;
  if (current && current.status === "ACCEPTED") {
    intro = h("p", {}, h("strong", {}, "You have a mentor."), " Say hello and agree on a first meeting.");
  } else if (current) {
    intro = h("p", {}, "Your request is waiting for the mentor's answer. You will see it here at once.");
  } else if (latest) {
    intro = h(
      "p",
      {},
      `Your request to ${latest.mentor.displayName} ended (${label(latest.status).toLowerCase()}). `,
      "You can ask another mentor now.",
    );
  } else {
    intro = h("p", {}, "You have not asked anyone yet. Find a mentor below and send one request.");
  }
  replace(
    body,
    intro,
    current ? myRequestCard(current, api) : null,
    earlier.length
      ? h(
          "details",
          { class: "spaced" },
          h("summary", {}, `Earlier requests (${earlier.length})`),
          h(
            "ul",
            { class: "cards cards-one spaced" },
            earlier.map((r) => h("li", { class: "card" }, myRequestCard(r, api))),
          ),
        )
      : null,
  );
}

const EVENT_TEXT = {
  ACCEPTED: [(n) => `${n} accepted your request! Their contact details are on this page.`, "success"],
  REJECTED: [(n, r) => `${n} declined your request${r ? `: “${r}”` : ""}. You can ask another mentor now.`, "info"],
  EXPIRED: [(n) => `Your request to ${n} lapsed without an answer. You can ask another mentor now.`, "info"],
  CLOSED_MENTOR_FULL: [(n) => `${n}'s places filled up, so your request closed. You can ask another mentor now.`, "info"],
};

// ---- Sending --------------------------------------------------------------------------------

function openSend(mentor) {
  state.sending = mentor;
  replace($("#send-title"), `Ask ${mentor.displayName} to mentor you`);
  replace($("#send-who"), `${mentor.headline}. You can have one request waiting at a time.`);
  replace($("#send-error"));
  $("#send-dialog").showModal();
  $("#send-message").focus();
}

function wireSendDialog(api) {
  const dialog = $("#send-dialog");
  $("#send-cancel").addEventListener("click", () => dialog.close());
  $("#send-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const mentor = state.sending;
    busy($("#send-confirm"), async () => {
      try {
        const data = await api.request(SEND, {
          mentorId: mentor.id,
          message: $("#send-message").value.trim(),
        });
        state.requests.set(data.sendRequest.id, data.sendRequest);
        $("#send-message").value = "";
        dialog.close();
        renderMine(api);
        renderResults();
        alertBox(`Request sent to ${mentor.displayName}. Their answer appears here at once.`, {
          kind: "success",
        });
        $("#my-request").scrollIntoView({ block: "start" });
      } catch (error) {
        replace($("#send-error"), error.message);
      }
    });
  });
}

function wireSetup(api, reload) {
  $("#setup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const languages = [...document.querySelectorAll("#setup-languages input:checked")].map(
      (i) => i.value,
    );
    try {
      const data = await api.request(SAVE_PROFILE, {
        input: {
          degreeLevel: $("#setup-degree").value,
          field: $("#setup-field").value,
          languages,
        },
      });
      state.student = data.updateStudentProfile;
      $("#filter-degree").value = state.student.degreeLevel;
      await reload();
    } catch (error) {
      replace($("#setup-error"), error.message);
    }
  });
}

// ---- Wiring ---------------------------------------------------------------------------------

async function main() {
  let wasLive = false;
  let catchUp = () => {};
  const session = await signIn("STUDENT", {
    onStatus: (status) => {
      if (status === "live" && wasLive) catchUp();
      if (status === "live") wasLive = true;
    },
  });
  if (!session) return;
  const { api, live } = session;

  // Listening starts before the first read, so nothing falls between the two: what arrives
  // meanwhile is applied, in order, once the page has what it shows.
  let booted = false;
  const early = [];
  const onRequestEvent = ({ kind, request }) => {
    state.requests.set(request.id, request);
    renderMine(api);
    renderResults();
    const [text, tone] = EVENT_TEXT[kind] || [];
    if (text) {
      alertBox(text(request.mentor.displayName, request.reason), { kind: tone, timeout: 15000 });
    }
    if (kind === "ACCEPTED") refreshMine(); // the mentor's contact details, now shared
  };
  live.subscribe(
    REQUEST_EVENTS,
    {},
    {
      next: (data) => (booted ? onRequestEvent : (e) => early.push(e))(data.myRequestEvents),
      error: (error) => alertBox(`Live updates stopped: ${error.message}`, { kind: "error" }),
      resync: () => refreshMine(),
    },
  );

  let boot;
  try {
    boot = await api.request(BOOT);
  } catch (error) {
    replace($("#my-request-body"), h("p", { class: "empty" }, error.message));
    loaded();
    return;
  }
  state.programme = boot.programme;
  state.student = boot.myStudentProfile;
  state.requests = new Map(boot.myRequests.map((r) => [r.id, r]));
  fillFilters(boot.languages, boot.fields);
  if (state.student) $("#filter-degree").value = state.student.degreeLevel;
  renderMine(api);
  wireSendDialog(api);
  booted = true;
  for (const event of early.splice(0)) onRequestEvent(event);

  const programmeId = state.programme.id;
  let unsubscribe = () => {};
  let searching = false;
  let queued = [];
  const receive = (event) => (searching ? queued.push(event) : onAvailability(event));
  const search = async ({ more = false, resubscribe = !more } = {}) => {
    const filter = currentFilter();
    const seq = ++state.searchSeq;
    if (resubscribe) {
      unsubscribe();
      queued = [];
      unsubscribe = live.subscribe(
        AVAILABILITY,
        { filter, programmeId },
        {
          next: (data) => receive(data.mentorAvailabilityChanged),
          error: (error) => alertBox(`Live updates stopped: ${error.message}`, { kind: "error" }),
          resync: () => search({ resubscribe: false }),
        },
      );
    }
    searching = true;
    try {
      const data = await api.request(SEARCH, {
        filter,
        programmeId,
        after: more ? state.endCursor : null,
      });
      if (seq !== state.searchSeq) return; // a newer search has started
      const page = data.mentors;
      const nodes = page.edges.map((e) => e.node);
      state.results = more ? [...state.results, ...nodes] : nodes;
      state.totalCount = page.totalCount;
      state.hasNext = page.pageInfo.hasNextPage;
      state.endCursor = page.pageInfo.endCursor;
      renderResults();
    } catch (error) {
      showError(error);
    } finally {
      if (seq === state.searchSeq) {
        searching = false;
        for (const event of queued.splice(0)) onAvailability(event);
      }
    }
  };
  async function refreshMine() {
    try {
      const data = await api.request(MINE);
      state.student = data.myStudentProfile;
      state.requests = new Map(data.myRequests.map((r) => [r.id, r]));
      renderMine(api);
      renderResults();
    } catch (error) {
      if (error.code !== "NETWORK") showError(error);
    }
  }
  catchUp = () => {
    search({ resubscribe: false }); // the live socket subscribes again by itself
    refreshMine();
  };
  wireSetup(api, catchUp);

  const form = $("#filters");
  const searchSoon = debounce(() => search(), 300);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  form.addEventListener("reset", () =>
    setTimeout(() => {
      if (state.student) $("#filter-degree").value = state.student.degreeLevel;
      search();
    }, 0),
  );
  $("#filter-text").addEventListener("input", searchSoon);
  for (const id of ["#filter-language", "#filter-degree", "#filter-field"]) {
    $(id).addEventListener("change", () => search());
  }
  $("#results-more").addEventListener("click", () => search({ more: true }));

  await search();
  loaded();
}

main();
