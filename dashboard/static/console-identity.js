// The console's Identity checks section: the mentors whose identity is not checked yet (the
// `unverifiedMentors` connection), the alumni register loaded from a CSV file
// (importAlumniRegister: the mentors it verified, the near misses to look at, the lines it could
// not read), and a coordinator's confirmation by hand. No date of birth is ever on this page:
// the API never gives one. Other coordinators' checks, and mentors signing up, show at once.

import { confirmAction, followSection, startSection } from "./console-kit.js";
import {
  $,
  alertBox,
  announce,
  badge,
  busy,
  formatDateTime,
  h,
  keepingFocus,
  pluralise,
  replace,
} from "./ui.js";

const WAITING = `query UnverifiedMentors($programmeId: ID, $after: String) {
  unverifiedMentors(programmeId: $programmeId, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id signedUpAt mentor { id displayName status } } }
  }
}`;

const IMPORT = `mutation ImportAlumniRegister($programmeId: ID, $csv: String!) {
  importAlumniRegister(programmeId: $programmeId, csv: $csv) {
    summary unreadableCount
    verified { mentor { id displayName } registerName degree }
    nearMisses { mentor { id displayName } reason }
    unreadable { line message }
  }
}`;

const CONFIRM = `mutation ConfirmMentorIdentity($id: ID!) {
  confirmMentorIdentity(mentorId: $id) { id displayName identityVerified }
}`;

const state = { section: null, waiting: [], total: 0, after: null };

function peopleLink(name) {
  const query = new URLSearchParams({ programme: state.section.programme.id, search: name });
  return h(
    "a",
    { href: `/dashboard/people?${query}` },
    name,
    h("span", { class: "visually-hidden" }, ": profile in People"),
  );
}

function render() {
  const tz = state.section.programme.timezone;
  const rows = state.waiting.map((node) => {
    const name = node.mentor.displayName;
    const confirm = h(
      "button",
      { class: "btn btn-small", type: "button" },
      "Confirm identity",
      h("span", { class: "visually-hidden" }, ` of ${name}`),
    );
    confirm.addEventListener("click", () => busy(confirm, () => confirmIdentity(node)));
    return h(
      "tr",
      { "data-mentor": node.id },
      h("th", { scope: "row", "data-label": "Mentor" }, peopleLink(name)),
      h("td", { "data-label": "Profile" }, badge(node.mentor.status)),
      h("td", { "data-label": "Signed up" }, formatDateTime(node.signedUpAt, tz)),
      h("td", { class: "console-row-actions" }, confirm),
    );
  });
  keepingFocus($("#waiting tbody"), "mentor", () => replace($("#waiting tbody"), rows), $("#waiting-title"));
  $("#waiting").hidden = rows.length === 0;
  $("#waiting-empty").hidden = rows.length > 0;
  $("#waiting-more").hidden = state.after === null;
  replace(
    $("#waiting-count"),
    state.total > state.waiting.length
      ? `${state.waiting.length} of ${state.total} mentors`
      : pluralise(state.total, "mentor"),
  );
}

async function refresh({ more = false } = {}) {
  const data = await state.section.api.request(WAITING, {
    programmeId: state.section.programme.id,
    after: more ? state.after : null,
  });
  const connection = data.unverifiedMentors;
  const nodes = connection.edges.map((e) => e.node);
  state.waiting = more ? [...state.waiting, ...nodes] : nodes;
  state.total = connection.totalCount;
  state.after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
  render();
}

async function confirmIdentity(node) {
  const name = node.mentor.displayName;
  const go = await confirmAction({
    title: `Confirm ${name}'s identity?`,
    lines: [
      `Confirm only once you have checked who ${name} is some other way: the alumni register did not verify them.`,
      "Their date of birth is cleared: the check is done.",
    ],
    confirm: "Confirm identity",
  });
  if (!go) {
    announce(`${name} is still waiting for the check.`);
    return;
  }
  try {
    await state.section.api.request(CONFIRM, { id: node.mentor.id });
  } catch (error) {
    alertBox(error.message, { kind: "error" });
    return;
  }
  alertBox(`${name}'s identity is confirmed.`, { kind: "success" });
  await refresh();
  const heading = $("#waiting-title"); // the row is gone, its button with it
  heading.tabIndex = -1;
  heading.focus();
}

function listOf(id, items) {
  return h("ul", { id, class: "console-changes" }, items.map((item) => h("li", {}, item)));
}

function showResult(fileName, result) {
  const parts = [
    h("p", { class: "banner console-ok" }, h("strong", {}, `${fileName}: `), result.summary),
  ];
  if (result.verified.length) {
    parts.push(
      h("h3", {}, "Verified"),
      listOf(
        "register-verified",
        result.verified.map((v) => [
          v.mentor.displayName,
          v.registerName !== v.mentor.displayName ? ` (in the register: ${v.registerName})` : "",
          v.degree ? h("span", { class: "sub" }, ` ${v.degree}`) : null,
        ]),
      ),
    );
  }
  if (result.nearMisses.length) {
    parts.push(
      h("h3", {}, "To look at"),
      h("p", { class: "hint" }, "Not verified. Confirm them by hand below once you have checked who they are."),
      listOf(
        "register-near-misses",
        result.nearMisses.map((n) => [h("strong", {}, n.mentor.displayName), `: ${n.reason}`]),
      ),
    );
  }
  if (result.unreadableCount) {
    const more = result.unreadableCount - result.unreadable.length;
    parts.push(
      h("h3", {}, "Lines that could not be read"),
      listOf(
        "register-unreadable",
        result.unreadable.map((u) => `Line ${u.line}: ${u.message}`),
      ),
      more > 0 ? h("p", { class: "hint" }, `and ${pluralise(more, "more line")}.`) : null,
    );
  }
  replace($("#import-result"), parts);
}

function wireImport() {
  const form = $("#import-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const error = $("#import-error");
    replace(error);
    replace($("#import-result"));
    const file = form.elements.file.files[0];
    if (!file) {
      replace(error, "Choose the register's CSV file first.");
      return;
    }
    busy(form.querySelector("[type=submit]"), async () => {
      try {
        const csv = await file.text();
        const data = await state.section.api.request(IMPORT, {
          programmeId: state.section.programme.id,
          csv,
        });
        showResult(file.name, data.importAlumniRegister);
        form.reset();
        await refresh();
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
  state.section = section;
  wireImport();
  const more = $("#waiting-more");
  more.addEventListener("click", () => busy(more, () => refresh({ more: true })));
  await followSection(section, () => refresh(), {
    kinds: [
      "MENTOR_IDENTITY_VERIFIED",
      "MENTOR_IDENTITY_UNVERIFIED",
      "MENTOR_PROFILE_CHANGED",
      "PERSON_ERASED",
    ],
  });
  announce(`${pluralise(state.total, "mentor")} waiting for the identity check.`);
}

main();
