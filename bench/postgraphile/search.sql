-- Mentori's student search as PostGraphile would serve it, created in the bench's working copy
-- of the database only (never by Mentori's migrations): bench/postgraphile_peer.py runs this
-- before PostGraphile starts. The same mentors as services/search.py picks for a student:
-- their programme's listed mentors (published, with room: AVAILABLE or BUSY), speaking any of
-- the languages, taking the degree level, in any of the fields, in the order they joined.
-- The student is the verified token's subject (PostGraphile sets its claims as jwt.claims.*);
-- the bench's students have a profile in one programme (of two, this takes the later).
CREATE SCHEMA IF NOT EXISTS bench_postgraphile;

-- Each filter is required (the bench's searches have all three): written as Mentori's optional
-- filters are ("no languages, or one of them", an OR around each EXISTS), the planner could not
-- turn the EXISTS into joins, estimated costs high enough for JIT compilation on every call,
-- and a search cost 300 ms of database CPU at 10,000 mentors.
CREATE OR REPLACE FUNCTION bench_postgraphile.search_mentors(
    languages text[], degree_level text, field_ids integer[]
) RETURNS SETOF public.mentor_profiles
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT mentor.*
    FROM public.mentor_profiles AS mentor
    WHERE mentor.programme_id = (
            -- Programme by programme: the unique (programme_id, user_id) index finds them.
            SELECT programme.id
            FROM public.programmes AS programme
            JOIN public.student_profiles AS student ON student.programme_id = programme.id
            JOIN public.users AS person ON person.id = student.user_id
            WHERE person.subject = current_setting('jwt.claims.sub', true)
            ORDER BY programme.id DESC
            LIMIT 1)
      AND mentor.status = 'PUBLISHED'
      AND mentor.accepted_count < mentor.capacity
      AND EXISTS (
            SELECT FROM public.mentor_languages AS spoken
            WHERE spoken.mentor_id = mentor.id
              AND spoken.language_code = ANY (
                    SELECT lower(code) FROM unnest(search_mentors.languages) AS code))
      AND EXISTS (
            SELECT FROM public.mentor_degree_levels AS level
            WHERE level.mentor_id = mentor.id AND level.degree_level = search_mentors.degree_level)
      AND EXISTS (
            SELECT FROM public.mentor_fields AS field
            WHERE field.mentor_id = mentor.id AND field.field_id = ANY (search_mentors.field_ids))
    ORDER BY mentor.id
$$;

-- A computed column: PostGraphile v4 takes only functions in the table's own schema.
CREATE OR REPLACE FUNCTION public.mentor_profiles_availability(mentor public.mentor_profiles)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN mentor.status <> 'PUBLISHED' THEN 'HIDDEN'
        WHEN mentor.accepted_count >= mentor.capacity THEN 'FULL'
        WHEN mentor.pending_count >= programme.mentor_pending_limit THEN 'BUSY'
        ELSE 'AVAILABLE'
    END
    FROM public.programmes AS programme
    WHERE programme.id = mentor.programme_id
$$;
