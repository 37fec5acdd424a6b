-- One row per student: pseudonymous attributes only (no names, emails or source identifiers;
-- those stay in silver/student_identity).
with students as (

    select * from {{ ref('stg_silver__students') }}

),

enrollments as (

    select student_id, count(*) as n_enrollments
    from {{ ref('stg_silver__enrollments') }}
    group by student_id

)

select
    students.student_id,
    students.source,
    students.org_id,
    students.grade_level,
    students.birth_year,
    students.gender,
    students.region,
    students.highest_education,
    students.imd_band,
    students.age_band,
    students.has_disability,
    students.first_seen_at,
    coalesce(enrollments.n_enrollments, 0) as n_enrollments,
    {{ curated_at() }} as curated_at
from students
left join enrollments using (student_id)
