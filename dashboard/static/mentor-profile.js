// The mentor's sign-up and profile: every field the programme asks, checked by the API as the
// mentor types (its own sentences, next to the field they are about), a preview of the card
// exactly as students see it (mentor-card.js), save as draft, publish, and take off the list.
// The sign-up window is said plainly; a change that answers waiting students asks first
// (mentor-confirm.js). Live: the students waiting are kept current, for those questions.

import { choice, wireChoiceFilter } from "./choice-list.js";
import { confirmCapacity, confirmTakeOff } from "./mentor-confirm.js";
import { mentorCard } from "./mentor-card.js";
import { chosenProgramme, showProgrammePicker, signIn } from "./session.js";
import {
  $,
  alertBox,
  announce,
  badge,
  busy,
  debounce,
  formatDate,
  h,
  loaded,
  pluralise,
  replace,
  showError,
} from "./ui.js";

const PROFILE_FIELDS = `
  id displayName headline educationalBackground professionalBackground careerExperience
  workingLifeYears hasDoctorate location city remoteOk capacity acceptedCount remainingCapacity
  status availability contactEmail degreeLevels identityDateHeld identityVerified
  languages { code name } fields { id name school } programme { id name }`;
const WAITING = `myRequests(programmeId: $programmeId, statuses: [PENDING]) {
  id student { displayName } }`;

const BOOT = `query MentorProfilePage($programmeId: ID) {
  programme(id: $programmeId) {
    id name timezone today identityDatesClearedOn phases { phase opensOn closesOn isOpen }
  }
  myMentorProfile(programmeId: $programmeId) { ${PROFILE_FIELDS} }
  ${WAITING}
  languages { code name }
  fields { id name school }
}`;
const STANDING = `query Standing($programmeId: ID) {
  myMentorProfile(programmeId: $programmeId) {
    status availability capacity acceptedCount remainingCapacity
  }
  ${WAITING}
}`;
const CHECK = `query Check($input: MentorProfileInput!, $programmeId: ID) {
  checkMentorProfile(input: $input, programmeId: $programmeId) { field message } }`;
const CREATE = `mutation Create($input: MentorProfileInput!, $programmeId: ID) {
  createMentorProfile(input: $input, programmeId: $programmeId) { ${PROFILE_FIELDS} } }`;
const UPDATE = `mutation Update($input: MentorProfileInput!, $programmeId: ID) {
  updateMentorProfile(input: $input, programmeId: $programmeId) { ${PROFILE_FIELDS} } }`;
const PUBLISH = `mutation Publish($programmeId: ID) {
  publishMentorProfile(programmeId: $programmeId) { ${PROFILE_FIELDS} } }`;
const WITHDRAW = `mutation Withdraw($programmeId: ID) {
  withdrawMentorProfile(programmeId: $programmeId) { ${PROFILE_FIELDS} } }`;
const EVENTS = `subscription MyRequestEvents($programmeId: ID) {
  myRequestEvents(programmeId: $programmeId) { seq kind } }`;

const TEXTS = [
  "displayName",
  "headline",
  "educationalBackground",
  "professionalBackground",
  "careerExperience",
  "city",
  "contactEmail",
];
const CHOICES = ["languages", "fields", "degreeLevels"];

const state = {
  programme: null,
  profile: null, // as saved; null before the first save
  waiting: [], // requests waiting for the mentor's answer
  catalogue: { languages: new Map(), fields: new Map() },
  gaps: [], // what publishing still needs, from the API: { field, message }
  refusal: null, // input the API refuses: { field, message }
  touched: new Set(), // inputs the mentor has changed: their gaps show as they type
  showAllGaps: false, // after a try to publish, every gap shows
  checks: 0, // the latest check asked; older answers are dropped
};

const programmeId = () => state.programme.id;
// The API names an input as the service does (working_life_years); the form by the GraphQL name.
const camel = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase());

// ---- The sign-up window -----------------------------------------------------------------

function nextDay(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

const longDate = (isoDate) => formatDate(isoDate, { year: "numeric" });

// { open, before, text }: whether mentors may sign up and publish now, in a sentence.
function signupWindow() {
  const p = state.programme;
  const phase = p.phases.find((x) => x.phase === "MENTOR_SIGNUP");
  if (!phase) {
    return { open: false, before: true, text: `${p.name} has no dates for mentor sign-up yet.` };
  }
  const opens = longDate(phase.opensOn);
  const closes = longDate(phase.closesOn);
  if (phase.isOpen) {
    return {
      open: true,
      text: `Mentor sign-up for ${p.name} is open until ${closes} (${p.timezone} time).`,
    };
  }
  if (p.today < phase.opensOn) {
    return {
      open: false,
      before: true,
      text: `Mentor sign-up for ${p.name} opens on ${opens} and runs until ${closes}.`,
    };
  }
  return {
    open: false,
    before: false,
    text:
      `Mentor sign-up for ${p.name} is closed since ${longDate(nextDay(phase.closesOn))} ` +
      `(it ran from ${opens} to ${closes}).`,
  };
}

function renderHeader() {
  const p = state.profile;
  const signup = signupWindow();
  const banner = $("#signup-window");
  banner.classList.toggle("banner-error", !signup.open);
  replace(banner, signup.text);
  const waiting = state.waiting.length;
  replace(
    $("#profile-state"),
    p ? badge(p.status) : badge("DRAFT", "Not saved yet"),
    p && p.status === "PUBLISHED" ? badge(p.availability) : null,
    p
      ? h(
          "span",
          { class: "hint", id: "waiting-count" },
          `${pluralise(waiting, "student")} waiting for your answer`,
        )
      : null,
  );
  replace(
    $("#after-publishing"),
    "You can change anything here at any time, also after publishing: students see the changes " +
      "of a published profile at once, and requests already waiting stay open. Two changes " +
      "answer waiting students, and this page asks you first: taking fewer mentees than the " +
      "students waiting or the mentees you have, and taking your profile off the list. " +
      "Publishing is possible only while mentor sign-up is open.",
  );
  // No profile and no sign-up: nothing to fill in.
  const closed = !p && !signup.open;
  $("#signup-closed").hidden = !closed;
  $("#editor").hidden = closed;
  if (closed) {
    replace(
      $("#signup-closed-text"),
      signup.text,
      " ",
      signup.before
        ? "You can create your mentor profile here once it opens."
        : `New mentor profiles can no longer be created in ${state.programme.name}. ` +
            "If you still wish to take part, write to the programme's coordinators.",
    );
  }
}

// ---- The date of birth ------------------------------------------------------------------
// Written, never read (rule 2): the API says only whether one is on file, never the date, so
// the field is always empty and the page says what is held in words.

// Once mentor sign-up has closed the identity checks are over: nobody is asked for it again.
function identityChecksOver() {
  const p = state.programme;
  const phase = p.phases.find((x) => x.phase === "MENTOR_SIGNUP");
  return Boolean(phase) && p.today > phase.closesOn;
}

function renderIdentity() {
  const p = state.profile;
  const held = Boolean(p && p.identityDateHeld);
  const over = identityChecksOver();
  const clearedOn = state.programme.identityDatesClearedOn;
  $("#dateOfBirth-field").hidden = (over && !held) || Boolean(p && p.identityVerified);
  replace(
    $("#dateOfBirth-hint"),
    "Asked only for the identity checks against the alumni register, by your name and date " +
      "of birth. It is never shown to anyone, not even to you: once saved, this page can only " +
      "say that one is on file. " +
      (clearedOn
        ? `It is cleared after the checks, on ${longDate(clearedOn)}.`
        : "It is cleared once the checks are over."),
  );
  let text;
  if (p && p.identityVerified) text = "Your identity has been checked: no date of birth is needed.";
  else if (held)
    text = "A date of birth is on file for the checks. Enter it again only to correct it.";
  else if (over) text = "The identity checks are over: a date of birth is no longer asked for.";
  else text = "No date of birth on file yet: publishing needs one, for the checks.";
  replace($("#dateOfBirth-held"), text);
}

// The date as typed, or a hint when it is not a whole date yet (the API checks the rest).
function birthDate() {
  const input = $("#dateOfBirth");
  if (input.validity.badInput) return { problem: "Enter the whole date: day, month and year." };
  return { value: input.value || null };
}

// A problem the page finds before asking the API: { field, message } or null.
function localProblem() {
  const typed = years();
  if (typed.problem) return { field: "workingLifeYears", message: typed.problem };
  const born = birthDate();
  if (born.problem) return { field: "dateOfBirth", message: born.problem };
  return null;
}

// ---- The form ---------------------------------------------------------------------------

function fillLanguages(languages) {
  for (const l of languages) state.catalogue.languages.set(l.code, l.name);
  replace(
    $("#languages-list"),
    h(
      "div",
      { class: "checks checks-grid" },
      languages.map((l) => choice("languages", l.code, l.name, `${l.name} ${l.code}`)),
    ),
  );
}

function fillFields(fields) {
  const schools = new Map();
  for (const f of fields) {
    state.catalogue.fields.set(f.id, f.name);
    if (!schools.has(f.school)) schools.set(f.school, []);
    schools.get(f.school).push(f);
  }
  replace(
    $("#fields-list"),
    [...schools.entries()].map(([school, list]) =>
      h(
        "fieldset",
        { class: "pick-group" },
        h("legend", {}, school),
        h(
          "div",
          { class: "checks checks-column" },
          list.map((f) => choice("fields", f.id, f.name, `${f.name} ${school}`)),
        ),
      ),
    ),
  );
}

// The catalogue offers what is not retired; a profile keeps a retired choice it already has.
function catalogueWith(offered, held, key) {
  const known = new Set(offered.map((item) => item[key]));
  return [...offered, ...held.filter((item) => !known.has(item[key]))];
}

const chosen = (kind) =>
  [...document.querySelectorAll(`#profile-form input[name="${kind}"]:checked`)].map(
    (input) => input.value,
  );

function renderChips(kind) {
  const box = $(`#${kind}-chosen`);
  const inputs = [...document.querySelectorAll(`#${kind}-list input:checked`)];
  if (!inputs.length) {
    replace(box, h("li", { class: "hint" }, "None chosen yet."));
    return;
  }
  replace(
    box,
    inputs.map((input) => {
      const remove = h(
        "button",
        { type: "button", "aria-label": `Remove ${input.dataset.name}` },
        "×",
      );
      remove.addEventListener("click", () => {
        input.checked = false;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        $(`#${kind}-filter`).focus();
      });
      return h("li", { class: "chip" }, input.dataset.name, remove);
    }),
  );
}

function setRadio(name, value) {
  for (const input of document.querySelectorAll(`#profile-form input[name="${name}"]`)) {
    input.checked = input.value === String(value);
  }
}

function setChoices(kind, values) {
  const wanted = new Set(values);
  for (const input of document.querySelectorAll(`#profile-form input[name="${kind}"]`)) {
    input.checked = wanted.has(input.value);
  }
}

function fillForm(viewer) {
  const p = state.profile;
  for (const name of TEXTS) $(`#${name}`).value = p ? p[name] || "" : "";
  if (!p) $("#displayName").value = viewer.name;
  $("#workingLifeYears").value = p ? String(p.workingLifeYears) : "";
  $("#hasDoctorate").checked = p ? p.hasDoctorate : false;
  $("#remoteOk").checked = p ? p.remoteOk : true;
  setRadio("location", p ? p.location : "FINLAND");
  setRadio("capacity", p ? p.capacity : 1);
  setChoices("languages", p ? p.languages.map((l) => l.code) : []);
  setChoices("fields", p ? p.fields.map((f) => f.id) : []);
  setChoices("degreeLevels", p ? p.degreeLevels : []);
  renderChips("languages");
  renderChips("fields");
  $("#dateOfBirth").value = ""; // never read back: the field only writes
  $("#contactEmail-hint").textContent = p
    ? "Private: shown only to a mentee you accept."
    : "Private: shown only to a mentee you accept. Left empty, the address you signed in " +
      "with is used.";
}

// The years as a whole number, or a hint (not one of the programme's rules: the API checks
// those) when what was typed is not a number at all.
function years() {
  const typed = $("#workingLifeYears").value.trim();
  if (typed === "") return { value: null };
  if (!/^-?\d+$/.test(typed)) return { problem: "Enter the years as a whole number, e.g. 12." };
  return { value: Number(typed) };
}

// The form as the API's MentorProfileInput.
function formInput() {
  const p = state.profile;
  const input = {};
  for (const name of TEXTS) input[name] = $(`#${name}`).value;
  if (!p && !input.contactEmail.trim()) input.contactEmail = null; // the sign-in address
  input.workingLifeYears = years().value ?? null;
  input.dateOfBirth = birthDate().value ?? null; // left out, the one on file is kept
  input.hasDoctorate = $("#hasDoctorate").checked;
  input.remoteOk = $("#remoteOk").checked;
  const location = chosen("location");
  input.location = location.length ? location[0] : null;
  const capacity = chosen("capacity");
  input.capacity = capacity.length ? Number(capacity[0]) : null;
  for (const kind of CHOICES) {
    const values = chosen(kind);
    const saved = p ? p[kind] : [];
    // Nothing chosen and nothing saved: nothing to send. Clearing a saved choice is sent,
    // and the API says that one is needed.
    input[kind] = values.length || saved.length ? values : null;
  }
  return input;
}

// ---- What the API says about the form ----------------------------------------------------

function control(field) {
  return (
    document.getElementById(field) ||
    document.getElementById(`${field}-group`) ||
    document.querySelector(`#profile-form input[name="${field}"]`)
  );
}

function renderMessages() {
  const messages = new Map();
  const refused = state.refusal ? state.refusal.field : null;
  if (state.refusal) messages.set(refused, { text: state.refusal.message, kind: "is-error" });
  for (const gap of state.gaps) {
    const field = camel(gap.field);
    if (messages.has(field)) continue;
    if (!state.showAllGaps && !state.touched.has(field)) continue;
    messages.set(field, { text: gap.message, kind: "is-needed" });
  }
  for (const box of document.querySelectorAll("#profile-form .field-error")) {
    const field = box.id.replace(/-error$/, "");
    const message = messages.get(field);
    box.className = `field-error ${message ? message.kind : ""}`;
    replace(box, message ? message.text : "");
    const target = control(field);
    // aria-invalid belongs on a control; a group (fieldset) is described by its message.
    if (!target || target.tagName === "FIELDSET") continue;
    const invalid = field === refused || Boolean(message && state.showAllGaps);
    if (invalid) target.setAttribute("aria-invalid", "true");
    else target.removeAttribute("aria-invalid");
  }
}

function focusField(field) {
  const target = document.getElementById(field);
  const group = document.getElementById(`${field}-group`);
  const first = group ? group.querySelector("input") : null;
  const where = target || first || control(field);
  if (where) {
    where.focus();
    where.scrollIntoView({ block: "center" });
  }
}

function setFormError(text) {
  replace($("#form-error"), text || "");
}

// Ask the API what it thinks of the form as it is now (nothing is saved).
async function check(api) {
  const local = localProblem();
  if (local) {
    state.refusal = local;
    renderMessages();
    return;
  }
  const asked = ++state.checks;
  try {
    const data = await api.request(CHECK, { input: formInput(), programmeId: programmeId() });
    if (asked !== state.checks) return;
    state.refusal = null;
    state.gaps = data.checkMentorProfile;
  } catch (error) {
    if (asked !== state.checks) return;
    const details = (error.errors && error.errors[0] && error.errors[0].extensions) || {};
    if (error.code !== "INVALID_INPUT" || !details.field) return; // saving says it plainly
    state.refusal = { field: camel(details.field), message: error.message };
  }
  renderMessages();
}

// A refusal from saving or publishing, shown where it belongs.
async function showFailure(error, api) {
  const details = (error.errors && error.errors[0] && error.errors[0].extensions) || {};
  if (error.code === "INVALID_INPUT" && details.field) {
    state.refusal = { field: camel(details.field), message: error.message };
    renderMessages();
    focusField(state.refusal.field);
    return;
  }
  if (error.code === "CAPACITY_BELOW_ACCEPTED") {
    state.refusal = { field: "capacity", message: error.message };
    renderMessages();
    focusField("capacity");
    return;
  }
  setFormError(error.message);
  if (error.code === "PROFILE_INCOMPLETE") {
    state.showAllGaps = true;
    await check(api);
    const first = state.gaps[0];
    if (first) focusField(camel(first.field));
  }
}

// ---- Preview ----------------------------------------------------------------------------

function previewMentor() {
  const p = state.profile;
  const input = formInput();
  const capacity = input.capacity || 1;
  const accepted = p ? p.acceptedCount : 0;
  const byName = (a, b) => a.name.localeCompare(b.name);
  return {
    id: p ? p.id : "preview",
    displayName: input.displayName.trim() || "Your name",
    headline: input.headline.trim(),
    educationalBackground: input.educationalBackground.trim(),
    professionalBackground: input.professionalBackground.trim(),
    careerExperience: input.careerExperience.trim(),
    workingLifeYears: input.workingLifeYears ?? 0,
    hasDoctorate: input.hasDoctorate,
    location: input.location || "FINLAND",
    city: input.city.trim(),
    remoteOk: input.remoteOk,
    capacity,
    remainingCapacity: Math.max(0, capacity - accepted),
    availability: p && p.status === "PUBLISHED" ? p.availability : "AVAILABLE",
    degreeLevels: ["MASTERS", "DOCTORAL"].filter((d) => chosen("degreeLevels").includes(d)),
    languages: chosen("languages")
      .map((code) => ({ code, name: state.catalogue.languages.get(code) || code }))
      .sort(byName),
    fields: chosen("fields")
      .map((id) => ({ id, name: state.catalogue.fields.get(id) || id }))
      .sort(byName),
  };
}

function renderPreview() {
  const p = state.profile;
  replace($("#preview-card"), mentorCard(previewMentor(), { titleId: "preview-name" }));
  replace(
    $("#preview-note"),
    p && p.status === "PUBLISHED"
      ? "Students see this card now. What you change shows here as you type, and to students " +
          "once you save."
      : "Students do not see you yet: this is your card as it will look once you publish.",
  );
}

// ---- Actions ----------------------------------------------------------------------------

function renderActions(api) {
  const p = state.profile;
  const signup = signupWindow();
  const published = p && p.status === "PUBLISHED";
  const save = h(
    "button",
    { class: published ? "btn btn-primary" : "btn", type: "button", id: "save" },
    published ? "Save changes" : "Save draft",
  );
  save.addEventListener("click", () => busy(save, () => saveProfile(api, { publish: false })));
  const buttons = [save];
  if (!published) {
    const text = p && p.status === "WITHDRAWN" ? "Save and publish again" : "Save and publish";
    if (signup.open) {
      const publish = h(
        "button",
        { class: "btn btn-primary", type: "button", id: "publish" },
        text,
      );
      publish.addEventListener("click", () =>
        busy(publish, () => saveProfile(api, { publish: true })),
      );
      buttons.push(publish);
    } else {
      buttons.push(
        h(
          "button",
          {
            class: "btn",
            type: "button",
            id: "publish",
            "aria-disabled": "true",
            "aria-describedby": "publish-why",
          },
          text,
        ),
        h(
          "span",
          { class: "hint", id: "publish-why" },
          "Publishing is possible only while mentor sign-up is open.",
        ),
      );
    }
  } else {
    const takeOff = h(
      "button",
      { class: "btn btn-danger", type: "button", id: "take-off" },
      "Take off the list…",
    );
    takeOff.addEventListener("click", () => busy(takeOff, () => takeOffTheList(api)));
    buttons.push(takeOff);
  }
  replace($("#form-actions"), buttons);
}

function renderCapacityHint() {
  const p = state.profile;
  const waiting = state.waiting.length;
  replace(
    $("#capacity-hint"),
    p
      ? `You have accepted ${pluralise(p.acceptedCount, "mentee")}; ` +
          `${pluralise(waiting, "student")} ${waiting === 1 ? "is" : "are"} waiting for your answer.`
      : "Each mentee meets you about once a month for the programme's six months.",
  );
}

function render(api) {
  renderHeader();
  renderIdentity();
  renderActions(api);
  renderCapacityHint();
  renderPreview();
  renderMessages();
}

async function saveProfile(api, { publish }) {
  setFormError("");
  const local = localProblem();
  if (local) {
    state.refusal = local;
    renderMessages();
    focusField(local.field);
    return;
  }
  const input = formInput();
  const before = state.profile;
  if (before && input.capacity !== null) {
    if (!(await confirmCapacity(before, state.waiting, input.capacity))) return;
  }
  try {
    const data = await api.request(before ? UPDATE : CREATE, {
      input,
      programmeId: programmeId(),
    });
    state.profile = data.createMentorProfile || data.updateMentorProfile;
    state.refusal = null;
    $("#dateOfBirth").value = ""; // taken: the page keeps no copy
  } catch (error) {
    await showFailure(error, api);
    return;
  }
  if (publish) {
    try {
      const data = await api.request(PUBLISH, { programmeId: programmeId() });
      state.profile = data.publishMentorProfile;
      state.showAllGaps = false;
      alertBox("Your profile is published: students can find you now.", { kind: "success" });
    } catch (error) {
      render(api);
      await showFailure(error, api);
      return;
    }
  } else {
    alertBox(
      state.profile.status === "PUBLISHED"
        ? "Saved: students see your changes now."
        : "Draft saved. Students do not see it until you publish.",
      { kind: "success" },
    );
  }
  await refreshStanding(api);
}

async function takeOffTheList(api) {
  const told = state.waiting.length;
  if (!(await confirmTakeOff(state.profile, state.waiting))) return;
  try {
    const data = await api.request(WITHDRAW, { programmeId: programmeId() });
    state.profile = data.withdrawMentorProfile;
    alertBox(
      told
        ? `Your profile is off the list. ${pluralise(told, "waiting student")} ` +
            `${told === 1 ? "was" : "were"} told.`
        : "Your profile is off the list.",
      { kind: "success" },
    );
  } catch (error) {
    showError(error);
  }
  await refreshStanding(api);
  $("#page-title").focus();
}

// Places, availability and the students waiting, read afresh (the form stays as typed).
async function refreshStanding(api) {
  const data = await api.request(STANDING, { programmeId: programmeId() });
  if (state.profile && data.myMentorProfile) Object.assign(state.profile, data.myMentorProfile);
  state.waiting = data.myRequests;
  render(api);
}

// ---- Wiring -----------------------------------------------------------------------------

function fieldOf(target) {
  if (CHOICES.includes(target.name)) return target.name;
  if (target.name === "location" || target.name === "capacity") return target.name;
  return target.id;
}

function wireForm(api) {
  const form = $("#profile-form");
  const checkSoon = debounce(() => check(api), 350);
  const changed = (event) => {
    const field = fieldOf(event.target);
    if (field === "languages-filter" || field === "fields-filter") return;
    state.touched.add(field);
    if (field === "languages" || field === "fields") renderChips(field);
    renderPreview();
    checkSoon();
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => event.preventDefault()); // the buttons say what
  for (const [kind, noun] of [
    ["languages", "language"],
    ["fields", "field"],
  ]) {
    wireChoiceFilter(kind, noun);
  }
}

async function main() {
  const session = await signIn("MENTOR");
  if (!session) return;
  const { api, live, viewer } = session;
  const chosenId = chosenProgramme(viewer);
  try {
    const data = await api.request(BOOT, { programmeId: chosenId });
    state.programme = data.programme;
    state.profile = data.myMentorProfile;
    state.waiting = data.myRequests;
    showProgrammePicker(viewer, data.programme);
    if (chosenId) $("#inbox-link").href = `/mentor?programme=${encodeURIComponent(chosenId)}`;
    fillLanguages(
      catalogueWith(data.languages, state.profile ? state.profile.languages : [], "code"),
    );
    fillFields(catalogueWith(data.fields, state.profile ? state.profile.fields : [], "id"));
    fillForm(viewer);
    wireForm(api);
    render(api);
    if (state.profile) check(api);
  } catch (error) {
    showError(error);
    loaded();
    return;
  }
  const refresh = debounce(() => refreshStanding(api).catch((error) => showError(error)), 100);
  live.subscribe(
    EVENTS,
    { programmeId: programmeId() },
    {
      next: (data) => {
        if (data.myRequestEvents.kind === "SENT") announce("A student sent you a request.");
        refresh();
      },
      resync: () => refresh(),
    },
  );
  loaded();
}

main();
