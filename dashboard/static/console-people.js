// The console's People section: mentors and students found by name (the `people` connection),
// and one person's panel: their profile, requests and matches, with the coordinator's actions
// (step in on a pending request; hide a mentor from students, and let them publish again;
// erase the person, after saying exactly what that does). The programme's events keep the list
// and the panel current.

import {
  confirmAction,
  followSection,
  formDialog,
  inputField,
  overrideRequest,
  startSection,
} from "./console-kit.js";
import {
  $,
  alertBox,
  announce,
  badge,
  busy,
  formatDateTime,
  h,
  label,
  pluralise,
  replace,
} from "./ui.js";

const MENTOR_FIELDS = `id displayName headline availability status capacity acceptedCount
  remainingCapacity workingLifeYears hasDoctorate location city remoteOk contactEmail
  languages { name } fields { name } degreeLevels hiddenByCoordinator { hiddenAt reason }`;
const STUDENT_FIELDS = `id displayName degreeLevel international onExchange matched contactEmail
  field { name school } languages { name }`;

const PEOPLE = `query People($programmeId: ID, $search: String, $role: Role, $after: String) {
  people(programmeId: $programmeId, search: $search, role: $role, first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id displayName role erased
      mentor { ${MENTOR_FIELDS} }
      student { ${STUDENT_FIELDS} }
    } }
  }
}`;

const HISTORY = `query PersonHistory($programmeId: ID, $filter: RequestFilter, $mentor: ID,
    $student: ID) {
  requests(programmeId: $programmeId, filter: $filter, first: 100) {
    totalCount
    edges { node {
      id status reason createdAt decidedAt
      mentor { id displayName }
      student { id displayName }
    } }
  }
  matches(programmeId: $programmeId, mentor: $mentor, student: $student, first: 100) {
    totalCount
    edges { node { id createdAt mentor { displayName } student { displayName } } }
  }
}`;

const PREVIEW = `query ErasurePreview($id: ID!) {
  erasurePreview(id: $id) {
    alreadyErased pendingRequestsToThem pendingRequestsFromThem requests matches
    meetingsWithNotes programmes { name }
  }
}`;

const ERASE = `mutation ErasePerson($id: ID!) { erasePerson(id: $id) { personId erasedAt } }`;

const HIDE = `mutation HideMentor($id: ID!, $reason: String!) {
  hideMentor(mentorId: $id, reason: $reason) { id hiddenByCoordinator { hiddenAt reason } }
}`;
const UNHIDE = `mutation UnhideMentor($id: ID!) {
  unhideMentor(mentorId: $id) { id hiddenByCoordinator { hiddenAt } }
}`;

// What each waiting student reads when a coordinator hides their mentor: the request's reason
// (services/mentor_hiding.py, HIDDEN_REASON) in the letter services/mail.py, request_declined,
// sends.
const HIDDEN_REASON = "The mentor is no longer available in the programme.";

const state = { api: null, programme: null, people: [], after: null, open: null, query: {} };

function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))),
  );
}

function who(person) {
  if (person.mentor) {
    const held = person.mentor.hiddenByCoordinator ? " · hidden by a coordinator" : "";
    return [badge(person.mentor.availability), " Mentor", held];
  }
  const student = person.student;
  return [
    badge(student.matched ? "ACCEPTED" : "PENDING", student.matched ? "Matched" : "Unmatched"),
    " Student",
    student.field ? ` · ${student.field.name}` : "",
  ];
}

function renderPeople(connection, { more }) {
  state.people = more
    ? [...state.people, ...connection.edges.map((e) => e.node)]
    : connection.edges.map((e) => e.node);
  state.after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
  replace(
    $("#people"),
    state.people.map((person) => {
      const open = h(
        "button",
        {
          class: "btn-link console-person",
          type: "button",
          "aria-controls": "person",
          "aria-expanded": state.open && state.open.id === person.id ? "true" : "false",
        },
        person.displayName,
      );
      open.addEventListener("click", () => showPerson(person));
      return h("li", { "data-person": person.id }, open, h("span", { class: "sub" }, who(person)));
    }),
  );
  $("#people-empty").hidden = state.people.length > 0;
  $("#people-more").hidden = state.after === null;
  replace(
    $("#people-count"),
    connection.totalCount > state.people.length
      ? `${state.people.length} of ${connection.totalCount}`
      : pluralise(connection.totalCount, "person", "people"),
  );
}

async function search({ more = false } = {}) {
  const data = await state.api.request(PEOPLE, {
    programmeId: state.programme.id,
    ...state.query,
    after: more ? state.after : null,
  });
  renderPeople(data.people, { more });
  if (state.open) {
    const fresh = state.people.find((p) => p.id === state.open.id);
    if (fresh) await showPerson(fresh, { focus: false });
  }
}

function profileFacts(person) {
  if (person.mentor) {
    const m = person.mentor;
    return facts([
      ["Headline", m.headline],
      ["Listing", [badge(m.status), " ", badge(m.availability)]],
      ["Mentees", `${m.acceptedCount} of ${m.capacity} (${m.remainingCapacity} left)`],
      ["Degree levels", m.degreeLevels.map(label).join(", ")],
      ["Languages", m.languages.map((l) => l.name).join(", ")],
      ["Fields", m.fields.map((f) => f.name).join(", ")],
      ["Working life", `${m.workingLifeYears} years${m.hasDoctorate ? ", holds a doctorate" : ""}`],
      [
        "Lives and works",
        `${label(m.location)}${m.city ? `, ${m.city}` : ""}${m.remoteOk ? " (remote meetings fine)" : ""}`,
      ],
      ["Contact email", m.contactEmail || "Private: shown only to a mentee they accept"],
    ]);
  }
  const s = person.student;
  return facts([
    ["Degree level", label(s.degreeLevel)],
    ["Field", s.field ? `${s.field.name} (${s.field.school})` : "Not given"],
    ["Languages", s.languages.map((l) => l.name).join(", ")],
    ["International", s.international ? "Yes" : "No"],
    ["On exchange", s.onExchange ? "Yes" : "No"],
    ["Contact email", s.contactEmail || "Private: shown only to the mentor who accepts them"],
  ]);
}

function requestRows(person, requests) {
  const tz = state.programme.timezone;
  const isMentor = Boolean(person.mentor);
  return requests.map((r) => {
    const other = isMentor ? r.student.displayName : r.mentor.displayName;
    const stepIn =
      r.status === "PENDING"
        ? h(
            "button",
            { class: "btn btn-small", type: "button" },
            "Step in…",
            h(
              "span",
              { class: "visually-hidden" },
              ` on the request of ${r.student.displayName} to ${r.mentor.displayName}`,
            ),
          )
        : null;
    if (stepIn) {
      stepIn.addEventListener("click", async () => {
        const done = await overrideRequest(state.api, r);
        if (done) {
          alertBox(`The request is now ${label(done.status).toLowerCase()}.`, { kind: "success" });
          await search();
        }
      });
    }
    return h(
      "tr",
      { "data-request": r.id },
      h("td", { "data-label": isMentor ? "Student" : "Mentor" }, other),
      h(
        "td",
        { "data-label": "Status" },
        badge(r.status),
        r.reason ? h("span", { class: "sub" }, r.reason) : null,
      ),
      h("td", { "data-label": "Sent" }, formatDateTime(r.createdAt, tz)),
      h("td", {}, stepIn),
    );
  });
}

async function showPerson(person, { focus = true } = {}) {
  state.open = person;
  for (const button of document.querySelectorAll("#people .console-person")) {
    const li = button.closest("li");
    button.setAttribute("aria-expanded", li.dataset.person === person.id ? "true" : "false");
  }
  const panel = $("#person");
  const profileId = person.mentor ? person.mentor.id : person.student.id;
  const history = await state.api.request(HISTORY, {
    programmeId: state.programme.id,
    filter: person.mentor ? { mentor: profileId } : { student: profileId },
    mentor: person.mentor ? profileId : null,
    student: person.student ? profileId : null,
  });
  const requests = history.requests.edges.map((e) => e.node);
  const matches = history.matches.edges.map((e) => e.node);
  const tz = state.programme.timezone;
  const erase = h(
    "button",
    { class: "btn btn-danger", type: "button" },
    `Erase ${person.displayName}…`,
  );
  erase.addEventListener("click", () => busy(erase, () => erasePerson(person)));
  // Redrawn by a live update: the focus stays on the same control (or at least in the panel).
  const held = panel.contains(document.activeElement)
    ? document.activeElement.id || "person"
    : null;
  replace(
    panel,
    h(
      "div",
      { class: "card-head" },
      h("h2", { id: "person-name" }, person.displayName),
      h("p", {}, who(person), person.erased ? " · erased" : ""),
    ),
    profileFacts(person),
    person.mentor ? hiding(person, requests) : null,
    h("h3", {}, `Requests (${requests.length})`),
    requests.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table-cards console-history" },
            h("caption", { class: "visually-hidden" }, `Requests of ${person.displayName}`),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, person.mentor ? "Student" : "Mentor"),
                h("th", { scope: "col" }, "Status"),
                h("th", { scope: "col" }, "Sent"),
                h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
              ),
            ),
            h("tbody", {}, requestRows(person, requests)),
          ),
        )
      : h("p", { class: "empty" }, "No request yet."),
    h("h3", {}, `Matches (${matches.length})`),
    matches.length
      ? h(
          "ul",
          { class: "console-matches" },
          matches.map((m) =>
            h(
              "li",
              { "data-match": m.id },
              person.mentor ? m.student.displayName : m.mentor.displayName,
              h("span", { class: "sub" }, `Matched ${formatDateTime(m.createdAt, tz)}`),
            ),
          ),
        )
      : h("p", { class: "empty" }, "No match yet."),
    h("div", { class: "actions spaced" }, erase),
  );
  panel.hidden = false;
  if (focus) panel.focus();
  else if (held) (document.getElementById(held) || panel).focus();
}

// ---- Hiding a mentor from students ----------------------------------------------------------

const onDate = (iso) =>
  formatDateTime(iso, state.programme.timezone, {
    weekday: undefined,
    hour: undefined,
    minute: undefined,
    year: "numeric",
  });

function hiding(person, requests) {
  const held = person.mentor.hiddenByCoordinator;
  if (held) {
    const lift = h(
      "button",
      { class: "btn btn-small", type: "button", id: "person-unhide" },
      "Let them publish again",
    );
    lift.addEventListener("click", () => busy(lift, () => unhideMentor(person)));
    return h(
      "div",
      { class: "stack", id: "person-hidden" },
      h(
        "p",
        { class: "message" },
        `Hidden by a coordinator on ${onDate(held.hiddenAt)}: ${held.reason}`,
      ),
      h(
        "p",
        { class: "hint" },
        "They cannot publish their profile until you let them. Letting them does not list them " +
          "again: they publish it themselves.",
      ),
      h("div", { class: "actions" }, lift),
    );
  }
  const hide = h(
    "button",
    { class: "btn", type: "button", id: "person-hide" },
    "Hide from students…",
  );
  hide.addEventListener("click", () => busy(hide, () => hideMentor(person, requests)));
  return h("div", { class: "actions" }, hide);
}

function names(list) {
  return list.length < 2 ? list.join("") : `${list.slice(0, -1).join(", ")} and ${list.at(-1)}`;
}

function hidingEffects(person, waiting) {
  const m = person.mentor;
  const count = waiting.length;
  const effects = [];
  if (count === 0) {
    effects.push(
      h("p", { id: "hide-count" }, `No student is waiting for ${m.displayName}'s answer.`),
    );
  } else {
    effects.push(
      h(
        "p",
        { id: "hide-count" },
        h(
          "strong",
          {},
          `${pluralise(count, "student")} ${count === 1 ? "is" : "are"} waiting for ${m.displayName}'s answer: `,
          names(waiting.map((r) => r.student.displayName)),
          ".",
        ),
        ` ${count === 1 ? "That request is" : "Those requests are"} declined at once; each student is told on their page and by email, and reads:`,
      ),
      h(
        "blockquote",
        { class: "message" },
        `${m.displayName} cannot take you on as a mentee in ${state.programme.name}. Their reason: ${HIDDEN_REASON}`,
      ),
      h("p", {}, "They can ask another mentor straight away; they are not told your reason."),
    );
  }
  effects.push(
    h(
      "p",
      {},
      `${m.displayName} leaves the students' list at once and is told by email, with the reason you give below. ` +
        "They cannot publish their profile again until you let them." +
        (m.acceptedCount > 0
          ? ` ${m.acceptedCount === 1 ? "The mentee they accepted stays theirs" : `The ${m.acceptedCount} mentees they accepted stay theirs`}.`
          : ""),
    ),
  );
  return effects;
}

async function hideMentor(person, requests) {
  const m = person.mentor;
  const waiting = requests.filter((r) => r.status === "PENDING" && r.mentor.id === m.id);
  const reason = inputField(`Reason (${m.displayName} reads it in the email)`, {
    tag: "textarea",
    name: "reason",
    maxlength: 1000,
    required: true,
    rows: 3,
  });
  const done = await formDialog({
    title: `Hide ${m.displayName} from students?`,
    fields: [h("div", { class: "confirm-body" }, hidingEffects(person, waiting)), reason],
    confirm: waiting.length
      ? `Hide and tell ${pluralise(waiting.length, "student")}`
      : "Hide from students",
    danger: true,
    submit: async (values) => {
      const data = await state.api.request(HIDE, { id: m.id, reason: values.get("reason") });
      return data.hideMentor;
    },
  });
  if (!done) {
    announce(`${m.displayName} stays listed as before.`);
    return;
  }
  alertBox(`${m.displayName} is hidden from students; they were told by email.`, {
    kind: "success",
  });
  await search();
  const lift = document.querySelector("#person-hidden button");
  if (lift) lift.focus();
}

async function unhideMentor(person) {
  const m = person.mentor;
  try {
    await state.api.request(UNHIDE, { id: m.id });
  } catch (error) {
    alertBox(error.message, { kind: "error" });
    return;
  }
  const signup = state.programme.phases.find((p) => p.phase === "MENTOR_SIGNUP");
  const closed =
    signup && !signup.isOpen
      ? " Mentor sign-up is closed, so they can publish only if you reopen it."
      : "";
  alertBox(`${m.displayName} may publish their profile again; they were told by email.${closed}`, {
    kind: "success",
  });
  await search();
  const hide = document.querySelector("#person-hide");
  if (hide) hide.focus();
}

function erasureLines(person, preview) {
  const lines = [];
  if (preview.alreadyErased) {
    lines.push("This person was erased already: erasing again clears whatever is there now.");
  }
  const toThem = preview.pendingRequestsToThem;
  if (toThem) {
    lines.push(
      `${toThem === 1 ? "The request" : `The ${toThem} requests`} waiting on them ` +
        `${toThem === 1 ? "is" : "are"} declined (“The mentor left the programme.”): ` +
        `${toThem === 1 ? "the student is" : "each student is"} released at once and told by email.`,
    );
  }
  const fromThem = preview.pendingRequestsFromThem;
  if (fromThem) {
    lines.push(
      `${fromThem === 1 ? "Their pending request is" : `Their ${fromThem} pending requests are`} ` +
        "withdrawn: the mentor's place is freed.",
    );
  }
  lines.push(
    preview.matches
      ? `${preview.matches === 1 ? "Their match is kept as an anonymous record" : `Their ${preview.matches} matches are kept as anonymous records`} ` +
          "(the other person keeps the match); the pair's meeting notes are emptied" +
          (preview.meetingsWithNotes
            ? ` (${pluralise(preview.meetingsWithNotes, "meeting", "meetings")} with notes).`
            : ".")
      : "They have no match.",
  );
  if (preview.requests) {
    lines.push(
      `${preview.requests === 1 ? "Their request stays" : `Their ${preview.requests} requests stay`} ` +
        "in the counts, their messages emptied.",
    );
  }
  const programmes = preview.programmes.map((p) => p.name).join(", ");
  lines.push(
    `${person.displayName}'s name, email and profile become anonymous in ${programmes || "every programme"}; ` +
      "they are signed out everywhere. This cannot be undone.",
  );
  return lines;
}

async function erasePerson(person) {
  try {
    const { erasurePreview } = await state.api.request(PREVIEW, { id: person.id });
    const go = await confirmAction({
      title: `Erase ${person.displayName}?`,
      lines: erasureLines(person, erasurePreview),
      confirm: `Erase ${person.displayName}`,
      danger: true,
    });
    if (!go) {
      announce("Nothing was erased.");
      return;
    }
    await state.api.request(ERASE, { id: person.id });
    alertBox(`${person.displayName} is erased.`, { kind: "success" });
    state.open = null;
    $("#person").hidden = true;
    await search();
    $("#people-text").focus();
  } catch (error) {
    alertBox(error.message, { kind: "error" });
  }
}

async function main() {
  const section = await startSection();
  if (!section) return;
  state.api = section.api;
  state.programme = section.programme;

  const form = $("#people-search");
  // A link from another console page may name whom to look for (?search=<name>).
  const asked = new URLSearchParams(location.search).get("search");
  if (asked) {
    form.elements.search.value = asked;
    state.query = { search: asked, role: null };
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = form.elements.search.value.trim();
    state.query = { search: text || null, role: form.elements.role.value || null };
    state.open = null;
    $("#person").hidden = true;
    busy(form.querySelector("[type=submit]"), () =>
      search().catch((error) => alertBox(error.message, { kind: "error" })),
    );
  });
  const more = $("#people-more");
  more.addEventListener("click", () => busy(more, () => search({ more: true })));

  await followSection(section, () =>
    search().catch((error) => alertBox(error.message, { kind: "error" })),
  );
}

main();
