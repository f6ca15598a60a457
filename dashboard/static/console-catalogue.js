// The console's Catalogue section: languages and fields of study, added, renamed, retired and
// reinstated one by one, or loaded from a CSV file (importCatalogue: a file with any mistake
// changes nothing, and the API names its line). Beside each entry, live, how many places listed
// mentors have left in it and how many unmatched students look for it (programmeStats).

import { followSection, formDialog, inputField, startSection } from "./console-kit.js";
import { $, alertBox, announce, badge, busy, h, pluralise, replace } from "./ui.js";

const CATALOGUE = `query Catalogue {
  languages(includeRetired: true) { code name retired }
  fields(includeRetired: true) { id name school retired }
}`;

const STATS_LIVE = `subscription CatalogueUse($programmeId: ID) {
  programmeStats(programmeId: $programmeId) {
    byField { key mentorSlotsLeft studentsLooking }
    byLanguage { key mentorSlotsLeft studentsLooking }
  }
}`;

const ADD_LANGUAGE = `mutation AddLanguage($code: String!, $name: String!) {
  addLanguage(code: $code, name: $name) { code name }
}`;
const RENAME_LANGUAGE = `mutation RenameLanguage($code: String!, $name: String!) {
  renameLanguage(code: $code, name: $name) { code name }
}`;
const RETIRE_LANGUAGE = `mutation RetireLanguage($code: String!) {
  retireLanguage(code: $code) { code name retired }
}`;
const REINSTATE_LANGUAGE = `mutation ReinstateLanguage($code: String!) {
  reinstateLanguage(code: $code) { code name retired }
}`;
const ADD_FIELD = `mutation AddField($name: String!, $school: String!) {
  addField(name: $name, school: $school) { id name school }
}`;
const UPDATE_FIELD = `mutation UpdateField($id: ID!, $name: String, $school: String) {
  updateField(id: $id, name: $name, school: $school) { id name school }
}`;
const RETIRE_FIELD = `mutation RetireField($id: ID!) { retireField(id: $id) { id name retired } }`;
const REINSTATE_FIELD = `mutation ReinstateField($id: ID!) {
  reinstateField(id: $id) { id name retired }
}`;
const IMPORT = `mutation ImportCatalogue($what: CatalogueList!, $csv: String!) {
  importCatalogue(what: $what, csv: $csv) { added changed unchanged summary }
}`;

const state = { languages: [], fields: [], use: { byField: [], byLanguage: [] } };

function useOf(list, key) {
  return list.find((entry) => entry.key === key) || { mentorSlotsLeft: 0, studentsLooking: 0 };
}

function actionButton(text, what, onClick, { danger = false } = {}) {
  const button = h(
    "button",
    { class: `btn btn-small${danger ? " btn-danger" : ""}`, type: "button" },
    text,
    h("span", { class: "visually-hidden" }, ` ${what}`),
  );
  button.addEventListener("click", () => busy(button, onClick));
  return button;
}

function finds(selector, ...texts) {
  const wanted = $(selector).value.trim().toLowerCase();
  return !wanted || texts.some((text) => text.toLowerCase().includes(wanted));
}

function renderLanguages(api) {
  const shown = state.languages.filter((l) => finds("#languages-find", l.name, l.code));
  const rows = shown.map((language) => {
    const use = useOf(state.use.byLanguage, language.code);
    const what = `${language.name} (${language.code})`;
    return h(
      "tr",
      { "data-code": language.code, class: language.retired ? "is-retired" : null },
      h(
        "th",
        { scope: "row", "data-label": "Language" },
        language.name,
        " ",
        h("span", { class: "sub" }, language.code),
        language.retired ? badge("RETIRED", "Retired") : null,
      ),
      h("td", { class: "num", "data-label": "Places left" }, String(use.mentorSlotsLeft)),
      h("td", { class: "num", "data-label": "Students looking" }, String(use.studentsLooking)),
      h(
        "td",
        { class: "console-row-actions" },
        actionButton("Rename", what, () => renameLanguage(api, language)),
        language.retired
          ? actionButton("Reinstate", what, () =>
              change(api, REINSTATE_LANGUAGE, { code: language.code }, `${what} is offered again.`),
            )
          : actionButton(
              "Retire",
              what,
              () =>
                change(
                  api,
                  RETIRE_LANGUAGE,
                  { code: language.code },
                  `${what} is retired: profiles that have it keep it.`,
                ),
              { danger: true },
            ),
      ),
    );
  });
  replace($("#languages tbody"), rows);
  $("#languages-empty").hidden = rows.length > 0;
}

function renderFields(api) {
  const rows = [];
  let school = null;
  for (const field of state.fields.filter((f) => finds("#fields-find", f.name, f.school))) {
    if (field.school !== school) {
      school = field.school;
      rows.push(
        h("tr", { class: "console-group" }, h("th", { scope: "rowgroup", colspan: 4 }, school)),
      );
    }
    const use = useOf(state.use.byField, field.id);
    rows.push(
      h(
        "tr",
        { "data-field": field.id, class: field.retired ? "is-retired" : null },
        h(
          "th",
          { scope: "row", "data-label": "Field" },
          field.name,
          field.retired ? badge("RETIRED", "Retired") : null,
        ),
        h("td", { class: "num", "data-label": "Places left" }, String(use.mentorSlotsLeft)),
        h("td", { class: "num", "data-label": "Students looking" }, String(use.studentsLooking)),
        h(
          "td",
          { class: "console-row-actions" },
          actionButton("Rename", field.name, () => renameField(api, field)),
          field.retired
            ? actionButton("Reinstate", field.name, () =>
                change(api, REINSTATE_FIELD, { id: field.id }, `${field.name} is offered again.`),
              )
            : actionButton(
                "Retire",
                field.name,
                () =>
                  change(
                    api,
                    RETIRE_FIELD,
                    { id: field.id },
                    `${field.name} is retired: profiles that have it keep it.`,
                  ),
                { danger: true },
              ),
        ),
      ),
    );
  }
  replace($("#fields tbody"), rows);
  $("#fields-empty").hidden = rows.length > 0;
  const schools = [...new Set(state.fields.map((f) => f.school))];
  replace(
    $("#schools"),
    schools.map((s) => h("option", { value: s })),
  );
}

let render = () => {};

async function reload(api) {
  const data = await api.request(CATALOGUE);
  state.languages = data.languages;
  state.fields = data.fields;
  render();
}

async function change(api, mutation, variables, done) {
  try {
    await api.request(mutation, variables);
    await reload(api);
    alertBox(done, { kind: "success" });
  } catch (error) {
    alertBox(error.message, { kind: "error" });
  }
}

async function renameLanguage(api, language) {
  const renamed = await formDialog({
    title: `Rename ${language.name}`,
    intro: `Its code, ${language.code}, stays; profiles show the new name at once.`,
    fields: [inputField("New name", { name: "name", required: true, maxlength: 64, value: language.name })],
    confirm: "Rename",
    submit: async (values) =>
      (await api.request(RENAME_LANGUAGE, { code: language.code, name: values.get("name") }))
        .renameLanguage,
  });
  if (renamed) {
    await reload(api);
    alertBox(`${language.name} is now called ${renamed.name}.`, { kind: "success" });
  }
}

async function renameField(api, field) {
  const changed = await formDialog({
    title: `Rename or move ${field.name}`,
    intro: "Profiles that have it keep it under its new name.",
    fields: [
      inputField("Name", { name: "name", required: true, maxlength: 120, value: field.name }),
      inputField("School", {
        name: "school",
        required: true,
        maxlength: 120,
        value: field.school,
        list: "schools",
      }),
    ],
    confirm: "Save",
    submit: async (values) =>
      (
        await api.request(UPDATE_FIELD, {
          id: field.id,
          name: values.get("name"),
          school: values.get("school"),
        })
      ).updateField,
  });
  if (changed) {
    await reload(api);
    alertBox(`${changed.name} (${changed.school}) is saved.`, { kind: "success" });
  }
}

function wireAdd(api, formId, errorId, mutation, variables, done) {
  const form = $(formId);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const error = $(errorId);
    replace(error);
    busy(form.querySelector("[type=submit]"), async () => {
      try {
        const data = await api.request(mutation, variables(form));
        form.reset();
        await reload(api);
        alertBox(done(data), { kind: "success" });
      } catch (failure) {
        replace(error, failure.message);
      }
    });
  });
}

function wireImport(api) {
  const form = $("#import-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const error = $("#import-error");
    const result = $("#import-result");
    replace(error);
    replace(result);
    const file = form.elements.file.files[0];
    if (!file) {
      replace(error, "Choose a CSV file first.");
      return;
    }
    busy(form.querySelector("[type=submit]"), async () => {
      try {
        const csv = await file.text();
        const data = await api.request(IMPORT, { what: form.elements.what.value, csv });
        const loaded = data.importCatalogue;
        const lines = [...loaded.added, ...loaded.changed];
        replace(
          result,
          h("p", { class: "banner console-ok" }, h("strong", {}, `${file.name}: `), loaded.summary),
          lines.length ? h("ul", { class: "console-changes" }, lines.map((l) => h("li", {}, l))) : null,
        );
        form.reset();
        await reload(api);
      } catch (failure) {
        replace(
          error,
          `${file.name}: ${failure.message}`,
          failure.code === "INVALID_INPUT" ? " Nothing was changed." : "",
        );
      }
    });
  });
}

async function main() {
  const section = await startSection();
  if (!section) return;
  const { api, live, programme } = section;
  render = () => {
    renderLanguages(api);
    renderFields(api);
  };
  wireAdd(
    api,
    "#add-language",
    "#add-language-error",
    ADD_LANGUAGE,
    (form) => ({ code: form.elements.code.value, name: form.elements.name.value }),
    (data) => `${data.addLanguage.name} (${data.addLanguage.code}) is offered.`,
  );
  wireAdd(
    api,
    "#add-field",
    "#add-field-error",
    ADD_FIELD,
    (form) => ({ name: form.elements.name.value, school: form.elements.school.value }),
    (data) => `${data.addField.name} (${data.addField.school}) is offered.`,
  );
  wireImport(api);
  $("#languages-find").addEventListener("input", () => renderLanguages(api));
  $("#fields-find").addEventListener("input", () => renderFields(api));
  // Read again after a drop only: no programme event changes the catalogue.
  await followSection(section, () => reload(api), { kinds: [] });
  live.subscribe(
    STATS_LIVE,
    { programmeId: programme.id },
    {
      next: (data) => {
        state.use = data.programmeStats;
        render();
      },
    },
  );
  announce(
    `${pluralise(state.languages.length, "language")} and ${pluralise(
      state.fields.length,
      "field of study",
      "fields of study",
    )}.`,
  );
}

main();
