-- One row per class, with the calendar every weekly model uses: a start date from the class,
-- else its term, else its first enrolment or event; weeks are counted from that start.
with classes as (

    select * from {{ ref('stg_silver__classes') }}

),

terms as (

    select * from {{ ref('stg_silver__terms') }}

),

enrollments as (

    select
        class_id,
        min(begin_date) as first_begin_date,
        max(end_date) as last_end_date
    from {{ ref('stg_silver__enrollments') }}
    group by class_id

),

events as (

    select
        class_id,
        min(event_date) as first_event_date,
        max(event_date) as last_event_date
    from {{ ref('stg_silver__learning_events') }}
    group by class_id

),

final as (

    select
        classes.class_id,
        classes.course_id,
        classes.term_id,
        classes.org_id,
        classes.source,
        classes.class_title,
        classes.class_code,
        coalesce(
            classes.start_date, terms.start_date, enrollments.first_begin_date,
            events.first_event_date
        ) as start_date,
        coalesce(
            classes.end_date,
            classes.start_date + cast(classes.length_days as integer),
            terms.end_date,
            enrollments.last_end_date,
            events.last_event_date
        ) as end_date,
        events.first_event_date,
        events.last_event_date,
        -- "to date" in the marts: the last day the lake holds activity for the class.
        coalesce(events.last_event_date, classes.end_date, terms.end_date) as as_of_date
    from classes
    left join terms using (term_id)
    left join enrollments using (class_id)
    left join events using (class_id)

)

select
    *,
    cast(ceil((date_diff('day', start_date, end_date) + 1) / 7.0) as bigint) as n_weeks
from final
