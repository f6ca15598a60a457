"""The demo's request round so far: who asked whom, who was matched, who still waits, and the
history of rejected, withdrawn and closed requests before that; then every row it writes.

Which mentor may be asked is decided by the rules' own functions (services/availability.py,
with the programme's limits), and the seeded programme is checked against every rule by
tests/app/test_demo.py."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.demo.people import DemoMentor, DemoStudent, People
from app.demo.words import HELP, MESSAGES, REJECTION_REASONS, moment
from db.models import DegreeLevel, ProfileStatus, Programme, RequestStatus, Role
from services.availability import LISTED, Availability, availability
from services.requests import MENTOR_FULL_REASON
from services.roles import RoleSource


@dataclass(slots=True)
class Rows:
    users: list[dict[str, Any]] = field(default_factory=list)
    user_roles: list[dict[str, Any]] = field(default_factory=list)
    mentors: list[dict[str, Any]] = field(default_factory=list)
    mentor_languages: list[dict[str, Any]] = field(default_factory=list)
    mentor_fields: list[dict[str, Any]] = field(default_factory=list)
    mentor_levels: list[dict[str, Any]] = field(default_factory=list)
    students: list[dict[str, Any]] = field(default_factory=list)
    student_languages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InboxRequest:
    """The request waiting in the demo mentor's inbox, sent through the services."""

    student: DemoStudent
    message: str
    created: datetime


class Activity:
    def __init__(self, people: People, programme: Programme, requests_open: datetime) -> None:
        self.people = people
        self.rng: random.Random = people.rng
        self.now = people.now
        self.pid = programme.id
        self.pending_limit = programme.mentor_pending_limit
        self.requests_open = requests_open
        self.rows = Rows()
        self.inbox: InboxRequest | None = None
        self.demo_student_created = people.now

    def _availability(self, mentor: DemoMentor) -> Availability:
        return availability(
            mentor.status, mentor.capacity, mentor.accepted, mentor.pending, self.pending_limit
        )

    def _listed(self, mentor: DemoMentor) -> bool:
        return self._availability(mentor) in LISTED

    def _takes_requests(self, mentor: DemoMentor) -> bool:
        return self._availability(mentor) is Availability.AVAILABLE

    def _message(self, student: DemoStudent) -> str:
        level = "master's" if student.level is DegreeLevel.MASTERS else "doctoral"
        return self.rng.choice(MESSAGES).format(
            level=level,
            field=self.people.field_names[student.field_id],
            help=self.rng.choice(HELP),
        )

    def _request(
        self,
        student: DemoStudent,
        mentor: DemoMentor,
        status: RequestStatus,
        created: datetime,
        decided: datetime | None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        reminded = None
        if status is RequestStatus.PENDING and self.now - created >= timedelta(hours=48):
            reminded = min(self.now, created + timedelta(hours=48, minutes=self.rng.randint(0, 20)))
        request: dict[str, Any] = {
            "programme_id": self.pid,
            "student_id": student.id,
            "mentor_id": mentor.id,
            "status": status,
            "message": self._message(student),
            "reason": reason,
            "created_at": created,
            "decided_at": decided,
            "reminded_at": reminded,
        }
        self.rows.requests.append(request)
        self._asked(student, mentor, created, current=status in _CURRENT)
        return request

    @staticmethod
    def _asked(student: DemoStudent, mentor: DemoMentor, created: datetime, current: bool) -> None:
        student.asked.add(mentor.id)
        if student.first_request_at is None or created < student.first_request_at:
            student.first_request_at = created
        if current:
            student.current_mentor = mentor.id
            student.current_since = created

    @staticmethod
    def _fits(mentor: DemoMentor, student: DemoStudent) -> bool:
        return (
            student.level in mentor.levels
            and any(code in mentor.languages for code in student.languages)
            and mentor.id not in student.asked
        )

    def _find(
        self,
        student: DemoStudent,
        by_field: dict[int, list[DemoMentor]],
        everyone: list[DemoMentor],
        ok: Callable[[DemoMentor], bool],
    ) -> DemoMentor | None:
        """A suitable mentor, preferably in the student's field, by random probing."""
        rng = self.rng
        local = by_field.get(student.field_id, [])
        for attempt in range(40):
            pool = local if local and attempt < 12 else everyone
            if not pool:
                return None
            mentor = pool[rng.randrange(len(pool))]
            if ok(mentor) and self._fits(mentor, student):
                return mentor
        return None

    def plan(self) -> None:
        rng = self.rng
        now, opened = self.now, self.requests_open
        published = [
            m for m in self.people.mentors if m.status is ProfileStatus.PUBLISHED and not m.demo
        ]
        by_field: dict[int, list[DemoMentor]] = {}
        for mentor in published:
            for fid in mentor.fields:
                by_field.setdefault(fid, []).append(mentor)
        seeded = [s for s in self.people.students if not s.demo]
        order = seeded[:]
        rng.shuffle(order)
        # About a quarter matched, but never so many that mentors run out of room for requests.
        match_target = min(round(len(seeded) * 0.25), int(sum(m.capacity for m in published) * 0.6))
        pending_target = round(len(seeded) * 0.15)

        # Matches first, so that no full mentor is left holding pending requests.
        for student in order:
            if len(self.rows.matches) >= match_target:
                break
            chosen = self._find(student, by_field, published, self._listed)
            if chosen is None:
                continue
            created = moment(rng, opened + timedelta(hours=1), now - timedelta(hours=2))
            latest = min(now - timedelta(minutes=5), created + timedelta(hours=48))
            decided = moment(rng, created + timedelta(minutes=10), latest)
            request = self._request(student, chosen, RequestStatus.ACCEPTED, created, decided)
            self.rows.matches.append(
                {
                    "programme_id": self.pid,
                    "request": request,
                    "student_id": student.id,
                    "mentor_id": chosen.id,
                    "created_at": decided,
                }
            )
            chosen.accepted += 1
            if chosen.filled_at is None or decided > chosen.filled_at:
                chosen.filled_at = decided  # the last acceptance; meaningful once full
            student.matched = True

        # The demo mentor's inbox: one fresh request, preferably from a computing student. It
        # is sent through the services (app/demo), which count it.
        demo_mentor = next(m for m in self.people.mentors if m.demo)
        computing = set(demo_mentor.fields)
        candidates = [s for s in order if s.current_mentor is None and self._fits(demo_mentor, s)]
        candidates.sort(key=lambda s: s.field_id not in computing)  # stable: keeps the shuffle
        pending = 0
        if candidates:
            created = now - timedelta(hours=5, minutes=rng.randint(0, 50))
            self.inbox = InboxRequest(candidates[0], self._message(candidates[0]), created)
            self._asked(candidates[0], demo_mentor, created, current=True)
            pending += 1

        # Pending requests: only to mentors who take requests.
        for student in order:
            if pending >= pending_target:
                break
            if student.current_mentor is not None:
                continue
            chosen = self._find(student, by_field, published, self._takes_requests)
            if chosen is None:
                continue
            created = max(
                now - timedelta(seconds=rng.randint(60, 70 * 3600)), opened + timedelta(minutes=1)
            )
            self._request(student, chosen, RequestStatus.PENDING, created, None)
            chosen.pending += 1
            student.pending += 1
            pending += 1

        self._history(seeded, published, by_field)

    def _history(
        self,
        seeded: list[DemoStudent],
        published: list[DemoMentor],
        by_field: dict[int, list[DemoMentor]],
    ) -> None:
        """Earlier requests, one after another, all over before the current one began."""
        rng, now, opened = self.rng, self.now, self.requests_open
        full = [m for m in published if self._availability(m) is Availability.FULL]
        for student in seeded:
            kinds: list[RequestStatus] = []
            if rng.random() < 0.07:
                kinds.append(RequestStatus.REJECTED)
            if rng.random() < 0.04:
                kinds.append(RequestStatus.WITHDRAWN)
            if full and rng.random() < 0.05:
                kinds.append(RequestStatus.CLOSED_MENTOR_FULL)
            if not kinds:
                continue
            rng.shuffle(kinds)
            end = student.current_since or now
            span = (end - opened) / len(kinds)
            if span < timedelta(minutes=30):
                continue
            for index, kind in enumerate(kinds):
                start = opened + span * index
                stop = start + span - timedelta(minutes=1)
                if kind is RequestStatus.CLOSED_MENTOR_FULL:
                    closed = self._find_full(student, full, start, stop)
                    if closed is None or closed.filled_at is None:
                        continue
                    created = moment(rng, start, closed.filled_at - timedelta(minutes=1))
                    self._request(
                        student, closed, kind, created, closed.filled_at, MENTOR_FULL_REASON
                    )
                    continue
                earlier = self._find(student, by_field, published, lambda _: True)
                if earlier is None:
                    continue
                created = moment(rng, start, start + (stop - start) / 2)
                decided = moment(rng, created + timedelta(minutes=5), stop)
                reason = rng.choice(REJECTION_REASONS) if kind is RequestStatus.REJECTED else None
                self._request(student, earlier, kind, created, decided, reason)

    def _find_full(
        self, student: DemoStudent, full: list[DemoMentor], start: datetime, stop: datetime
    ) -> DemoMentor | None:
        """A full mentor who filled up within [start, stop], so the request closed then."""
        for _ in range(25):
            mentor = full[self.rng.randrange(len(full))]
            if (
                mentor.filled_at is not None
                and start + timedelta(minutes=2) <= mentor.filled_at <= stop
                and self._fits(mentor, student)
            ):
                return mentor
        return None

    def finish(self, existing: dict[str, int], user_ids: Iterator[int]) -> Rows:
        """Every row of the generated people and their requests (the demo people are written
        through the services instead); the demo student's sign-up time is set here too."""
        rng, rows, people = self.rng, self.rows, self.people

        def user(person: DemoMentor | DemoStudent, name: str, email: str, at: datetime) -> None:
            person.user_id = existing.get(person.subject) or next(user_ids)
            if person.subject not in existing:
                role = Role.MENTOR if isinstance(person, DemoMentor) else Role.STUDENT
                rows.users.append(
                    {
                        "id": person.user_id,
                        "subject": person.subject,
                        "role": role,
                        "name": name,
                        "email": email,
                        "created_at": at,
                    }
                )
                # What their development token granted when they signed up.
                rows.user_roles.append(
                    {
                        "user_id": person.user_id,
                        "role": role,
                        "source": RoleSource.TOKEN,
                        "granted_at": at,
                    }
                )

        for mentor in people.mentors:
            if mentor.demo:
                continue
            profile = mentor.profile
            user(mentor, profile["display_name"], profile["contact_email"], mentor.created)
            rows.mentors.append(
                {
                    **profile,
                    "id": mentor.id,
                    "programme_id": self.pid,
                    "user_id": mentor.user_id,
                    "status": mentor.status,
                    "accepted_count": mentor.accepted,
                    "pending_count": mentor.pending,
                    "created_at": mentor.created,
                    "updated_at": mentor.updated,
                }
            )
            rows.mentor_languages.extend(
                {"mentor_id": mentor.id, "language_code": code} for code in mentor.languages
            )
            rows.mentor_fields.extend(
                {"mentor_id": mentor.id, "field_id": fid} for fid in mentor.fields
            )
            rows.mentor_levels.extend(
                {"mentor_id": mentor.id, "degree_level": level} for level in sorted(mentor.levels)
            )
        for student in people.students:
            latest = student.first_request_at or self.now
            created = moment(rng, people.signup_opens, latest - timedelta(minutes=1))
            updated = moment(rng, created, min(latest, created + timedelta(days=2)))
            if student.demo:
                self.demo_student_created = created
                continue
            user(student, student.name, student.email, created)
            rows.students.append(
                {
                    "id": student.id,
                    "programme_id": self.pid,
                    "user_id": student.user_id,
                    "display_name": student.name,
                    "degree_level": student.level,
                    "field_id": student.field_id,
                    "international": student.international,
                    "on_exchange": student.on_exchange,
                    "contact_email": student.email,
                    "pending_count": student.pending,
                    "matched": student.matched,
                    "created_at": created,
                    "updated_at": updated,
                }
            )
            rows.student_languages.extend(
                {"student_id": student.id, "language_code": code} for code in student.languages
            )
        rows.users.sort(key=lambda row: int(row["id"]))
        rows.requests.sort(key=lambda request: request["created_at"])
        rows.matches.sort(key=lambda match: match["created_at"])
        return rows


_CURRENT = (RequestStatus.PENDING, RequestStatus.ACCEPTED)
