// A mentor's card as students see it in their search (browse.js), and as the mentor previews it
// while filling in their profile (mentor-profile.js): one renderer, so the preview is the card.

import { badge, h, label, localId, pluralise } from "./ui.js";

// `actions`: what the reader may do with the card (a student's "Send request"); `titleId`: the
// card's heading id, when the mentor has no id yet (a profile not saved).
export function mentorCard(mentor, { actions = null, titleId = null } = {}) {
  const place = mentor.location === "ABROAD" ? "abroad" : "in Finland";
  const where = [mentor.city ? `${mentor.city}, ${place}` : label(mentor.location)];
  if (mentor.remoteOk) where.push("remote meetings OK");
  const experience = [`${mentor.workingLifeYears} years of working life`];
  if (mentor.hasDoctorate) experience.push("holds a doctorate");
  const headingId = titleId || `mentor-${localId(mentor.id)}`;
  return h(
    "li",
    {
      class: "card profile-card",
      "data-mentor": mentor.id,
      "data-availability": mentor.availability,
      "data-capacity": mentor.capacity,
      "data-remaining-capacity": mentor.remainingCapacity,
      "aria-labelledby": headingId,
    },
    h(
      "div",
      { class: "card-head" },
      h(
        "div",
        {},
        h("h3", { id: headingId }, mentor.displayName),
        h("p", { class: "headline" }, mentor.headline),
      ),
      badge(mentor.availability),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Languages"),
      h("dd", {}, mentor.languages.map((l) => l.name).join(", ")),
      h("dt", {}, "Fields"),
      h("dd", {}, mentor.fields.map((f) => f.name).join(", ")),
      h("dt", {}, "Takes"),
      h("dd", {}, mentor.degreeLevels.map((d) => `${label(d)} students`).join(", ")),
      h("dt", {}, "Lives"),
      h("dd", {}, where.join(" · ")),
      h("dt", {}, "Experience"),
      h("dd", {}, experience.join(", ")),
      h("dt", {}, "Places"),
      h(
        "dd",
        { class: "places" },
        `${mentor.remainingCapacity} of ${pluralise(mentor.capacity, "place")} left`,
      ),
    ),
    h(
      "details",
      {},
      h("summary", {}, `More about ${mentor.displayName.split(" ")[0]}`),
      h("h4", {}, "Education"),
      h("p", {}, mentor.educationalBackground || "—"),
      h("h4", {}, "Work"),
      h("p", {}, mentor.professionalBackground || "—"),
      h("h4", {}, "Career"),
      h("p", {}, mentor.careerExperience || "—"),
    ),
    h("div", { class: "actions" }, actions),
  );
}
