// The coordinator console's sections: one page each, the same nav on every one. A section's
// page adds itself to SECTIONS; the nav keeps the chosen programme (?programme=) across pages
// and marks the page one is on for screen readers (aria-current).

import { $, h, replace } from "./ui.js";

export const SECTIONS = [
  { path: "/dashboard", label: "Overview" },
  { path: "/dashboard/programmes", label: "Programmes" },
  { path: "/dashboard/catalogue", label: "Catalogue" },
  { path: "/dashboard/people", label: "People" },
  { path: "/dashboard/identity", label: "Identity checks" },
  { path: "/dashboard/requests", label: "Requests and matches" },
  { path: "/dashboard/briefings", label: "Briefings" },
  { path: "/dashboard/surveys", label: "Surveys" },
  { path: "/dashboard/quiet", label: "Quiet matches" },
  { path: "/dashboard/report", label: "Report" },
  { path: "/dashboard/coordinators", label: "Coordinators" },
];

export function showConsoleNav() {
  const list = $("#console-nav");
  if (!list) return;
  const programme = new URLSearchParams(location.search).get("programme");
  const query = programme ? `?${new URLSearchParams({ programme })}` : "";
  replace(
    list,
    ...SECTIONS.map(({ path, label }) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            href: `${path}${query}`,
            ...(path === location.pathname ? { "aria-current": "page" } : {}),
          },
          label,
        ),
      ),
    ),
  );
}
