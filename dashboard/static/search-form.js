// The students' search form: every filter the API's MentorFilter offers, the less used ones
// folded into disclosures that still say, closed, which of them are on. The search and its
// live subscription both use currentFilter(), so a mentor who appears live is one the search
// would have found.

import { $, debounce, h, replace } from "./ui.js";

const chosenLanguages = () => [...document.querySelectorAll("#filter-languages input:checked")];

export function fillSearchForm(languages, fieldOptions) {
  $("#filter-languages").append(
    ...languages.map((l) =>
      h("label", {}, h("input", { type: "checkbox", value: l.code, "data-name": l.name }), l.name),
    ),
  );
  $("#filter-field").append(...fieldOptions);
}

export function currentFilter() {
  const filter = {};
  const text = $("#filter-text").value.trim();
  if (text) filter.text = text;
  const languages = chosenLanguages().map((input) => input.value);
  if (languages.length) filter.languages = languages;
  if ($("#filter-degree").value) filter.degreeLevel = $("#filter-degree").value;
  if ($("#filter-field").value) filter.fields = [$("#filter-field").value];
  if ($("#filter-location").value) filter.location = $("#filter-location").value;
  if ($("#filter-doctorate").checked) filter.hasDoctorate = true;
  if ($("#filter-remote").checked) filter.remoteOk = true;
  return filter;
}

// The order asked for: FIT (the best fit for the student first) or JOINED. Not a filter: the
// live subscription picks the same mentors whatever the order.
export function currentOrder() {
  return $("#filter-order").value || "FIT";
}

function renderSummaries() {
  const languages = chosenLanguages().map((input) => input.dataset.name);
  const chosen = $("#filter-languages-chosen");
  chosen.classList.toggle("is-set", languages.length > 0);
  replace(
    chosen,
    languages.length === 0
      ? "Any"
      : languages.length <= 2
        ? languages.join(", ")
        : `${languages.length} chosen`,
  );
  const location = $("#filter-location");
  const more = [
    location.value ? location.selectedOptions[0].textContent : null,
    $("#filter-doctorate").checked ? "doctorate" : null,
    $("#filter-remote").checked ? "remote" : null,
  ].filter(Boolean);
  replace($("#more-filters-chosen"), more.join(", "));
}

// `search` runs a new search; `reset` puts back the page's own defaults after "Clear".
export function wireSearchForm({ search, reset = () => {} }) {
  const form = $("#filters");
  const text = $("#filter-text");
  // Typing, or ticking several boxes in a row, makes one search (and one new subscription).
  const searchSoon = debounce(search, 300);
  const searchNow = debounce(search, 100);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  form.addEventListener("reset", () =>
    setTimeout(() => {
      // after the browser has reset the fields
      reset();
      renderSummaries();
      search();
    }, 0),
  );
  text.addEventListener("input", searchSoon);
  form.addEventListener("change", (event) => {
    if (event.target === text) return; // "input" has it
    renderSummaries();
    searchNow();
  });
}
