-- One row per class (offering of a course in a term), with its calendar and enrolment counts.
with classes as (

    select * from {{ ref('int_classes_calendared') }}

),

courses as (

    select course_id, course_title, course_code from {{ ref('stg_silver__courses') }}

),

enrollments as (

    select
        class_id,
        count(*) as n_enrolled,
        count(*) filter (where withdrawn_date is not null) as n_withdrawn
    from {{ ref('int_enrollments_windowed') }}
    group by class_id

)

select
    classes.class_id,
    classes.course_id,
    courses.course_title,
    courses.course_code,
    classes.term_id,
    classes.org_id,
    classes.source,
    classes.class_title,
    classes.class_code,
    classes.start_date,
    classes.end_date,
    classes.n_weeks,
    classes.as_of_date,
    coalesce(enrollments.n_enrolled, 0) as n_enrolled,
    coalesce(enrollments.n_withdrawn, 0) as n_withdrawn,
    {{ curated_at() }} as curated_at
from classes
left join courses using (course_id)
left join enrollments using (class_id)
