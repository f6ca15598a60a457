// A long list of checkboxes (the catalogue's ~184 languages, its fields by school) with a
// "Find a …" box above it: typing hides what does not match, by name or code, and a status line
// says how many match. Used by the mentor's profile and the student's studies. The page holds
// `#<prefix>-filter` (a search input), `#<prefix>-list` (the checkboxes, in `.pick-group`
// fieldsets or not) and `#<prefix>-count` (the status line).

import { $, h, pluralise, replace } from "./ui.js";

// One choice: `search` is what typing finds it by, besides its name.
export function choice(name, value, text, search) {
  return h(
    "label",
    { dataset: { search: search.toLowerCase() } },
    h("input", { type: "checkbox", name, value, dataset: { name: text } }),
    text,
  );
}

export function filterChoices(prefix, noun) {
  const query = $(`#${prefix}-filter`).value.trim().toLowerCase();
  const labels = [...document.querySelectorAll(`#${prefix}-list label`)];
  let shown = 0;
  for (const item of labels) {
    item.hidden = Boolean(query) && !item.dataset.search.includes(query);
    if (!item.hidden) shown += 1;
  }
  for (const group of document.querySelectorAll(`#${prefix}-list .pick-group`)) {
    group.hidden = ![...group.querySelectorAll("label")].some((item) => !item.hidden);
  }
  replace(
    $(`#${prefix}-count`),
    query
      ? `${shown} of ${pluralise(labels.length, noun)} ${shown === 1 ? "matches" : "match"} “${query}”.`
      : `${pluralise(labels.length, noun)} to choose from.`,
  );
}

// Filters as the person types; Enter in the box does not submit the form around it.
export function wireChoiceFilter(prefix, noun) {
  const filter = $(`#${prefix}-filter`);
  filter.addEventListener("input", () => filterChoices(prefix, noun));
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  filterChoices(prefix, noun);
}
