// The roles a person may hold, and the page each acts in: /mentor as a mentor, /browse as a
// student, /dashboard as a coordinator. Someone holding several (an alumna who mentors and
// coordinates) switches between them in the top bar; someone on a page of a role they do not
// hold is shown the pages of the roles they do.

import { $, h, replace } from "./ui.js";

export const PAGES = {
  MENTOR: { path: "/mentor", page: "mentor inbox", who: "mentor", name: "Mentor" },
  STUDENT: { path: "/browse", page: "mentor search", who: "student", name: "Student" },
  COORDINATOR: {
    path: "/dashboard",
    page: "coordinator dashboard",
    who: "coordinator",
    name: "Coordinator",
  },
};

// Every role the person holds, in the order of PAGES.
export function heldRoles(viewer) {
  const held = new Set([viewer.role, ...(viewer.roles || [])]);
  return Object.keys(PAGES).filter((role) => held.has(role));
}

// On a page of a role the person does not hold: a link to the page of each role they do.
export function showRoleChooser(role, viewer, signOut) {
  const held = heldRoles(viewer);
  const pages = held.map((r) =>
    h("li", {}, h("a", { href: PAGES[r].path }, `The ${PAGES[r].page}`), `, as a ${PAGES[r].who}`),
  );
  const heading = h(
    "h1",
    { id: "gate-title", tabindex: "-1" },
    `This page is for ${PAGES[role].who}s`,
  );
  replace(
    $("#gate"),
    h(
      "section",
      { class: "card notice", id: "role-chooser", "aria-labelledby": "gate-title" },
      heading,
      held.length === 1
        ? h(
            "p",
            {},
            `You are signed in as ${viewer.name}, a ${PAGES[held[0]].who}. Your page is the `,
            h("a", { href: PAGES[held[0]].path }, PAGES[held[0]].page),
            ".",
          )
        : [
            h("p", {}, `You are signed in as ${viewer.name}. Your pages in Mentori:`),
            h("ul", { class: "role-pages" }, pages),
          ],
      h(
        "div",
        { class: "actions" },
        h("button", { class: "btn", type: "button", onclick: signOut }, "Sign in as someone else"),
      ),
    ),
  );
  $("#gate").hidden = false;
  $("#app").hidden = true;
  return heading;
}

// In the top bar, for someone holding more than one role: Mentor | Student | Coordinator.
export function showRoleSwitcher(role, viewer) {
  const held = heldRoles(viewer);
  $("#role-switch")?.remove();
  if (held.length < 2) return;
  const links = held.map((r) =>
    h(
      "li",
      {},
      h("a", { href: PAGES[r].path, "aria-current": r === role ? "true" : null }, PAGES[r].name),
    ),
  );
  const nav = h("nav", { id: "role-switch", "aria-label": "Act as" }, h("ul", {}, links));
  $(".topbar-end").before(nav);
}

export function hideRoleSwitcher() {
  $("#role-switch")?.remove();
}
