// The console's Programmes section: every programme, the chosen one's dates and limits, and a
// new programme (next year's, while this one runs). A change that touches people waiting is
// described by the API (programmeChangeImpact) and confirmed before it is saved.

import { confirmAction, followSection, renderPicker, startSection } from "./console-kit.js";
import {
  $,
  alertBox,
  announce,
  busy,
  formatDate,
  h,
  label,
  loaded,
  replace,
} from "./ui.js";

const PHASES = [
  "MENTOR_SIGNUP",
  "STUDENT_REQUESTS",
  "BRIEFINGS",
  "PROGRAMME",
  "HALFWAY_SURVEY",
  "FINAL_SURVEY",
];

const PROGRAMME_FIELDS = `
  id name timezone studentPendingLimit mentorPendingLimit requestExpiryHours
  reminderHoursBeforeExpiry currentPhases
  phases { phase opensOn closesOn isOpen }`;

const LIST = `query ConsoleProgrammes($id: ID) {
  programme(id: $id) { ${PROGRAMME_FIELDS} }
  programmes { id name timezone currentPhases phases { phase opensOn closesOn } }
}`;

const IMPACT = `query Impact($id: ID!, $input: UpdateProgrammeInput!) {
  programmeChangeImpact(id: $id, input: $input) { warnings }
}`;

const UPDATE = `mutation UpdateProgramme($id: ID!, $input: UpdateProgrammeInput!) {
  updateProgramme(id: $id, input: $input) { ${PROGRAMME_FIELDS} }
}`;

const CREATE = `mutation CreateProgramme($input: CreateProgrammeInput!) {
  createProgramme(input: $input) { id name }
}`;

const state = { programme: null, dirty: false, serverNow: () => Date.now() };

function span(programme) {
  const opens = programme.phases.map((p) => p.opensOn).sort();
  const closes = programme.phases.map((p) => p.closesOn).sort();
  if (!opens.length) return "No dates yet";
  return `${formatDate(opens[0], { year: "numeric" })} – ${formatDate(closes[closes.length - 1], {
    year: "numeric",
  })}`;
}

// Where a programme is now: its open phases, or whether it is still to come or over.
function now(programme) {
  if (programme.currentPhases.length) return programme.currentPhases.map(label).join(", ");
  const opens = programme.phases.map((p) => p.opensOn).sort();
  const closes = programme.phases.map((p) => p.closesOn).sort();
  if (!opens.length) return "No dates yet";
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: programme.timezone }).format(
    new Date(state.serverNow()),
  );
  if (today < opens[0]) return `Opens on ${formatDate(opens[0], { year: "numeric" })}`;
  if (today > closes[closes.length - 1]) return "Ended";
  return "Between phases";
}

function renderList(programmes) {
  const body = $("#programme-list tbody");
  replace(
    body,
    programmes.map((p) => {
      const shown = p.id === state.programme.id;
      return h(
        "tr",
        { "data-programme": p.id, class: shown ? "is-chosen" : null },
        h("th", { scope: "row", "data-label": "Programme" }, p.name),
        h("td", { "data-label": "Dates" }, span(p)),
        h("td", { "data-label": "Now" }, now(p)),
        h(
          "td",
          {},
          shown
            ? h("span", { class: "sub" }, "Shown below")
            : h(
                "a",
                { href: `/dashboard/programmes?programme=${encodeURIComponent(p.id)}` },
                "Dates and limits",
                h("span", { class: "visually-hidden" }, ` of ${p.name}`),
              ),
        ),
      );
    }),
  );
}

// ---- The form: name, phases, limits (one layout for editing and for a new programme) --------

function numberField(prefix, name, text, value, { min = 1, max = 10, hint = null } = {}) {
  const id = `${prefix}-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, text),
    h("input", {
      id,
      name,
      type: "number",
      inputmode: "numeric",
      min,
      max,
      value: value ?? "",
      "aria-describedby": hint ? `${id}-hint` : null,
    }),
    hint ? h("p", { class: "sub", id: `${id}-hint` }, hint) : null,
  );
}

function phaseRows(prefix, phases) {
  const byPhase = Object.fromEntries(phases.map((p) => [p.phase, p]));
  return h(
    "fieldset",
    { class: "console-phases" },
    h("legend", {}, "Phases (dates in the programme's time zone)"),
    PHASES.map((phase) => {
      const dates = byPhase[phase] || {};
      const id = `${prefix}-${phase.toLowerCase()}`;
      return h(
        "div",
        { class: "console-phase", role: "group", "aria-labelledby": `${id}-name` },
        h("span", { class: "console-phase-name", id: `${id}-name` }, label(phase)),
        h(
          "div",
          { class: "field" },
          h("label", { for: `${id}-opens` }, "Opens"),
          h("input", {
            id: `${id}-opens`,
            name: `${phase}-opens`,
            type: "date",
            value: dates.opensOn || "",
          }),
        ),
        h(
          "div",
          { class: "field" },
          h("label", { for: `${id}-closes` }, "Closes"),
          h("input", {
            id: `${id}-closes`,
            name: `${phase}-closes`,
            type: "date",
            value: dates.closesOn || "",
          }),
        ),
      );
    }),
  );
}

function fillForm(form, prefix, programme, { create }) {
  const p = programme || {
    name: "",
    timezone: "Europe/Helsinki",
    phases: [],
    studentPendingLimit: 1,
    mentorPendingLimit: 2,
    requestExpiryHours: 72,
    reminderHoursBeforeExpiry: 24,
  };
  const noExpiry = p.requestExpiryHours === null;
  replace(
    form,
    h(
      "div",
      { class: "console-grid" },
      h(
        "div",
        { class: "field" },
        h("label", { for: `${prefix}-name` }, "Name"),
        h("input", {
          id: `${prefix}-name`,
          name: "name",
          type: "text",
          required: true,
          maxlength: 200,
          value: p.name,
          placeholder: create ? "e.g. Mentoring 2027" : null,
        }),
      ),
      create
        ? h(
            "div",
            { class: "field" },
            h("label", { for: `${prefix}-timezone` }, "Time zone"),
            h("input", {
              id: `${prefix}-timezone`,
              name: "timezone",
              type: "text",
              required: true,
              value: p.timezone,
            }),
          )
        : null,
    ),
    phaseRows(prefix, p.phases),
    h(
      "fieldset",
      {},
      h("legend", {}, "Limits"),
      h(
        "div",
        { class: "console-grid" },
        numberField(prefix, "studentPendingLimit", "Pending requests per student", p.studentPendingLimit),
        numberField(prefix, "mentorPendingLimit", "Pending requests per mentor", p.mentorPendingLimit),
        numberField(prefix, "requestExpiryHours", "A request expires after (hours)", p.requestExpiryHours, {
          max: 1440,
        }),
        numberField(
          prefix,
          "reminderHoursBeforeExpiry",
          "Remind the mentor (hours before expiry)",
          p.reminderHoursBeforeExpiry,
          { min: 0, max: 720 },
        ),
      ),
      h(
        "label",
        { class: "console-choice" },
        h("input", { type: "checkbox", name: "requestExpiryOff", checked: noExpiry }),
        " Requests never expire",
      ),
    ),
    h("p", { class: "form-error", id: `${prefix}-error`, role: "alert" }),
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        { class: "btn btn-primary", type: "submit" },
        create ? "Create programme" : "Save changes",
      ),
    ),
  );
  const expiry = form.elements.requestExpiryHours;
  const off = form.elements.requestExpiryOff;
  const sync = () => {
    expiry.disabled = off.checked;
  };
  off.addEventListener("change", sync);
  sync();
}

class FormProblem extends Error {}

function number(form, name) {
  const field = form.elements[name];
  if (field.disabled || field.value === "") return null;
  return Number(field.value);
}

// The form as the API's input; a FormProblem names what is missing.
function readForm(form, { create }) {
  const phases = [];
  for (const phase of PHASES) {
    const opensOn = form.elements[`${phase}-opens`].value;
    const closesOn = form.elements[`${phase}-closes`].value;
    if (!opensOn && !closesOn) continue;
    if (!opensOn || !closesOn) {
      throw new FormProblem(`Give both dates of ${label(phase).toLowerCase()}, or neither.`);
    }
    phases.push({ phase, opensOn, closesOn });
  }
  const name = form.elements.name.value.trim();
  if (!name) throw new FormProblem("Give the programme a name.");
  const limits = {
    studentPendingLimit: number(form, "studentPendingLimit"),
    mentorPendingLimit: number(form, "mentorPendingLimit"),
    requestExpiryHours: number(form, "requestExpiryHours"),
    requestExpiryOff: form.elements.requestExpiryOff.checked,
    reminderHoursBeforeExpiry: number(form, "reminderHoursBeforeExpiry"),
  };
  const input = { name, phases, limits };
  if (create) input.timezone = form.elements.timezone.value.trim();
  return input;
}

async function save(api, form) {
  const error = $("#edit-error");
  replace(error);
  let input;
  try {
    input = readForm(form, { create: false });
  } catch (problem) {
    if (!(problem instanceof FormProblem)) throw problem;
    replace(error, problem.message);
    return;
  }
  const id = state.programme.id;
  try {
    const { programmeChangeImpact } = await api.request(IMPACT, { id, input });
    if (programmeChangeImpact.warnings.length) {
      const go = await confirmAction({
        title: "This change affects people waiting",
        lines: programmeChangeImpact.warnings,
        confirm: "Save anyway",
      });
      if (!go) {
        announce("Nothing was changed.");
        return;
      }
    }
    const data = await api.request(UPDATE, { id, input });
    state.programme = data.updateProgramme;
    state.dirty = false;
    fillForm(form, "edit", state.programme, { create: false });
    replace($("#programme-name"), state.programme.name);
    alertBox(`${state.programme.name} is saved.`, { kind: "success" });
  } catch (failure) {
    replace(error, failure.message);
  }
}

async function create(api, form) {
  const error = $("#create-error");
  replace(error);
  let input;
  try {
    input = readForm(form, { create: true });
  } catch (problem) {
    if (!(problem instanceof FormProblem)) throw problem;
    replace(error, problem.message);
    return null;
  }
  try {
    const data = await api.request(CREATE, { input });
    const made = data.createProgramme;
    fillForm(form, "create", null, { create: true });
    const link = h(
      "a",
      { href: `/dashboard/programmes?programme=${encodeURIComponent(made.id)}` },
      `Open ${made.name}`,
    );
    alertBox(h("span", {}, `${made.name} is created. `, link), { kind: "success", timeout: 0 });
    return made;
  } catch (failure) {
    replace(error, failure.message);
    return null;
  }
}

// Before any programme exists: the form for the first one; the page then opens on it.
function startFirst(api) {
  const make = $("#create-form");
  $(".console-of").hidden = true;
  replace(
    $("[aria-labelledby=section-title] .hint"),
    "There is no programme yet. Start the first one below; its dates and limits can change later.",
  );
  $("#programme-list").closest("section").hidden = true;
  $("#edit-form").closest("section").hidden = true;
  replace($("#create-title"), "Start the first programme");
  fillForm(make, "create", null, { create: true });
  make.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(event.submitter || make.querySelector("[type=submit]"), async () => {
      const made = await create(api, make);
      if (made) location.assign(`/dashboard/programmes?programme=${encodeURIComponent(made.id)}`);
    });
  });
  loaded();
}

async function main() {
  const section = await startSection({ orNone: true });
  if (!section) return;
  if (!section.programme) {
    startFirst(section.api);
    return;
  }
  const { api } = section;
  state.programme = section.programme;
  state.serverNow = section.serverNow;
  const edit = $("#edit-form");
  const make = $("#create-form");
  replace($("#edit-title"), `Dates and limits of ${state.programme.name}`);

  const refresh = async () => {
    const data = await api.request(LIST, { id: state.programme.id });
    state.programme = data.programme;
    renderList(data.programmes);
    renderPicker(state.programme, data.programmes); // next year's, just created, is one choice
    if (!state.dirty) fillForm(edit, "edit", state.programme, { create: false });
  };

  fillForm(edit, "edit", state.programme, { create: false });
  fillForm(make, "create", null, { create: true });
  edit.addEventListener("input", () => {
    state.dirty = true;
  });
  edit.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(event.submitter || edit.querySelector("[type=submit]"), () => save(api, edit));
  });
  make.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(event.submitter || make.querySelector("[type=submit]"), async () => {
      const made = await create(api, make);
      if (!made) return;
      await refresh();
      // The form is empty again; what comes next is opening the new programme.
      $(`#programme-list tr[data-programme="${CSS.escape(made.id)}"] a`).focus();
    });
  });
  await followSection(section, refresh, { kinds: ["PROGRAMME_CHANGED"] });
}

main();
