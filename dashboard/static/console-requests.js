// The console's Requests and matches section: the `requests` and `matches` connections,
// filtered by status, age, the student's field and language, page by page. A request that has
// waited long is marked stale, one click from stepping in (overrideRequest); the overview's
// pending list links here with ?request=<id>, which opens that step at once.

import { followSection, overrideRequest, startSection } from "./console-kit.js";
import {
  $,
  alertBox,
  badge,
  busy,
  formatAge,
  formatDateTime,
  h,
  keepingFocus,
  label,
  pluralise,
  replace,
} from "./ui.js";

const CHOICES = `query Choices {
  fields(includeRetired: true) { id name school }
  languages(includeRetired: true) { code name }
}`;

const REQUEST_FIELDS = `id status reason createdAt decidedAt expiresAt
  student { id displayName degreeLevel field { name } }
  mentor { id displayName availability }`;

const REQUESTS = `query ConsoleRequests($programmeId: ID, $filter: RequestFilter, $after: String) {
  requests(programmeId: $programmeId, filter: $filter, first: 25, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ${REQUEST_FIELDS} } }
  }
}`;

const MATCHES = `query ConsoleMatches($programmeId: ID, $field: ID, $language: String,
    $after: String) {
  matches(programmeId: $programmeId, field: $field, language: $language, first: 25,
      after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id createdAt
      mentor { displayName }
      student { displayName field { name } }
    } }
  }
}`;

const ONE_REQUEST = `query OneRequest($id: ID!) {
  node(id: $id) { ... on MentorRequest { ${REQUEST_FIELDS} } }
}`;

const STALE_HOURS = 48; // without expiry: a request unanswered for two days needs a look

const state = {
  api: null,
  programme: null,
  serverNow: () => Date.now(),
  requests: [],
  requestsAfter: null,
  matches: [],
  matchesAfter: null,
};

function filters() {
  const form = $("#filters");
  const value = (name) => form.elements[name].value || null;
  const age = value("age");
  return {
    status: value("status"),
    olderThanHours: age === null ? null : Number(age),
    field: value("field"),
    language: value("language"),
  };
}

function requestFilter() {
  const f = filters();
  return {
    statuses: f.status ? [f.status] : null,
    olderThanHours: f.olderThanHours,
    field: f.field,
    language: f.language,
  };
}

// Stale: waited past the point the mentor is reminded (or two days, when nothing lapses).
function staleAfterHours() {
  const { requestExpiryHours, reminderHoursBeforeExpiry } = state.programme;
  if (requestExpiryHours === null) return STALE_HOURS;
  return Math.max(1, requestExpiryHours - (reminderHoursBeforeExpiry || 0));
}

function waitedHours(request) {
  return (state.serverNow() - Date.parse(request.createdAt)) / 3600000;
}

async function stepIn(request) {
  const done = await overrideRequest(state.api, request);
  if (done) {
    alertBox(
      `${request.student.displayName}'s request to ${request.mentor.displayName} is now ${label(
        done.status,
      ).toLowerCase()}.`,
      { kind: "success" },
    );
    await refresh();
  }
  return done;
}

function renderRequests(connection, { more }) {
  const tz = state.programme.timezone;
  const nodes = connection.edges.map((e) => e.node);
  state.requests = more ? [...state.requests, ...nodes] : nodes;
  state.requestsAfter = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
  const staleAfter = staleAfterHours();
  const rows = state.requests.map((r) => {
    const pending = r.status === "PENDING";
    const hours = waitedHours(r);
    const stale = pending && hours >= staleAfter;
    let action = null;
    if (pending) {
      action = h(
        "button",
        { class: `btn btn-small${stale ? " btn-primary" : ""}`, type: "button" },
        "Step in…",
        h(
          "span",
          { class: "visually-hidden" },
          ` on the request of ${r.student.displayName} to ${r.mentor.displayName}`,
        ),
      );
      action.addEventListener("click", () => stepIn(r));
    }
    return h(
      "tr",
      { "data-request": r.id, class: stale ? "is-stale" : null },
      h(
        "td",
        { "data-label": "Student" },
        r.student.displayName,
        h(
          "span",
          { class: "sub" },
          [label(r.student.degreeLevel), r.student.field && r.student.field.name]
            .filter(Boolean)
            .join(" · "),
        ),
      ),
      h("td", { "data-label": "Mentor" }, r.mentor.displayName, " ", badge(r.mentor.availability)),
      h(
        "td",
        { "data-label": "Status" },
        badge(r.status),
        stale ? h("span", { class: "console-stale" }, "Stale") : null,
        r.reason ? h("span", { class: "sub" }, r.reason) : null,
      ),
      h("td", { "data-label": "Sent" }, formatDateTime(r.createdAt, tz)),
      h(
        "td",
        { class: `num${stale ? " age-late" : ""}`, "data-label": "Waiting" },
        pending ? formatAge(hours * 3600) : "—",
      ),
      h("td", {}, action),
    );
  });
  // A request answered (here or elsewhere) leaves the list under the focus: it goes to the title.
  keepingFocus(
    $("#requests tbody"),
    "request",
    () => replace($("#requests tbody"), rows),
    $("#requests-title"),
  );
  $("#requests-empty").hidden = state.requests.length > 0;
  $("#requests").hidden = state.requests.length === 0;
  $("#requests-more").hidden = state.requestsAfter === null;
  replace(
    $("#requests-count"),
    connection.totalCount > state.requests.length
      ? `${state.requests.length} of ${connection.totalCount}`
      : pluralise(connection.totalCount, "request"),
  );
}

function renderMatches(connection, { more }) {
  const tz = state.programme.timezone;
  const nodes = connection.edges.map((e) => e.node);
  state.matches = more ? [...state.matches, ...nodes] : nodes;
  state.matchesAfter = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
  replace(
    $("#matches tbody"),
    state.matches.map((m) =>
      h(
        "tr",
        { "data-match": m.id },
        h("td", { "data-label": "Mentor" }, m.mentor.displayName),
        h(
          "td",
          { "data-label": "Student" },
          m.student.displayName,
          m.student.field ? h("span", { class: "sub" }, m.student.field.name) : null,
        ),
        h("td", { "data-label": "Matched" }, formatDateTime(m.createdAt, tz)),
      ),
    ),
  );
  $("#matches-empty").hidden = state.matches.length > 0;
  $("#matches").hidden = state.matches.length === 0;
  $("#matches-more").hidden = state.matchesAfter === null;
  replace(
    $("#matches-count"),
    connection.totalCount > state.matches.length
      ? `${state.matches.length} of ${connection.totalCount}`
      : pluralise(connection.totalCount, "match", "matches"),
  );
}

// Filters change faster than the answers come back: only the latest load of a list is shown.
const loads = { requests: 0, matches: 0 };

async function loadRequests({ more = false } = {}) {
  const load = ++loads.requests;
  const data = await state.api.request(REQUESTS, {
    programmeId: state.programme.id,
    filter: requestFilter(),
    after: more ? state.requestsAfter : null,
  });
  if (load === loads.requests) renderRequests(data.requests, { more });
}

async function loadMatches({ more = false } = {}) {
  const load = ++loads.matches;
  const f = filters();
  const data = await state.api.request(MATCHES, {
    programmeId: state.programme.id,
    field: f.field,
    language: f.language,
    after: more ? state.matchesAfter : null,
  });
  if (load === loads.matches) renderMatches(data.matches, { more });
}

async function refresh() {
  try {
    await Promise.all([loadRequests(), loadMatches()]);
  } catch (error) {
    if (error.code !== "NETWORK") alertBox(error.message, { kind: "error" });
  }
}

async function fillChoices() {
  const { fields, languages } = await state.api.request(CHOICES);
  const fieldSelect = $("#filter-field");
  const schools = [...new Set(fields.map((f) => f.school))];
  fieldSelect.append(
    ...schools.map((school) =>
      h(
        "optgroup",
        { label: school },
        fields.filter((f) => f.school === school).map((f) => h("option", { value: f.id }, f.name)),
      ),
    ),
  );
  $("#filter-language").append(...languages.map((l) => h("option", { value: l.code }, l.name)));
}

// The filters the address names (?status=PENDING&age=48…), so a link can open a list.
function filtersFromAddress() {
  const params = new URLSearchParams(location.search);
  const form = $("#filters");
  for (const name of ["status", "age", "field", "language"]) {
    const value = params.get(name);
    if (value !== null && [...form.elements[name].options].some((o) => o.value === value)) {
      form.elements[name].value = value;
    }
  }
}

async function openRequestFromAddress() {
  const id = new URLSearchParams(location.search).get("request");
  if (!id) return;
  try {
    const { node } = await state.api.request(ONE_REQUEST, { id });
    if (node.status !== "PENDING") {
      alertBox(
        `${node.student.displayName}'s request to ${node.mentor.displayName} is ${label(
          node.status,
        ).toLowerCase()} already: nothing to step in on.`,
      );
      return;
    }
    await stepIn(node);
  } catch (error) {
    alertBox(error.message, { kind: "error" });
  }
}

async function main() {
  const section = await startSection();
  if (!section) return;
  state.api = section.api;
  state.programme = section.programme;
  state.serverNow = section.serverNow;

  await fillChoices();
  filtersFromAddress();
  $("#filters").addEventListener("change", refresh);
  $("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  for (const [id, load] of [
    ["#requests-more", loadRequests],
    ["#matches-more", loadMatches],
  ]) {
    const button = $(id);
    button.addEventListener("click", () => busy(button, () => load({ more: true })));
  }
  await followSection(section, refresh);
  openRequestFromAddress();
}

main();
