-- One row per student per class enrolment, with the dates that bound it: registered (known at
-- registration) and withdrawn (only known once it happened).
with enrollments as (

    select * from {{ ref('stg_silver__enrollments') }}

),

classes as (

    select class_id, start_date, end_date as class_end_date
    from {{ ref('int_classes_calendared') }}

)

select
    enrollments.student_id,
    enrollments.class_id,
    enrollments.status,
    enrollments.final_result,
    enrollments.num_prev_attempts,
    enrollments.studied_credits,
    coalesce(cast(enrollments.registered_at as date), enrollments.begin_date, classes.start_date)
        as registered_date,
    -- an enrollment that ends before its class does is a student who left (how SIS rosters
    -- record a withdrawal); so is an explicit unregistration or an inactive/deleted status
    coalesce(
        cast(enrollments.unregistered_at as date),
        case when enrollments.status in ('tobedeleted', 'inactive') then enrollments.end_date end,
        case when enrollments.end_date < classes.class_end_date then enrollments.end_date end
    ) as withdrawn_date,
    date_diff(
        'day',
        coalesce(cast(enrollments.registered_at as date), enrollments.begin_date),
        classes.start_date
    ) as days_registered_before_start
from enrollments
left join classes using (class_id)
