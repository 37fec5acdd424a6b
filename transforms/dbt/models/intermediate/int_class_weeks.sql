-- One row per class per week: week w ends at cutoff_date (exclusive), start_date + 7 * w days.
-- Weeks run from 1 to the class length, or to the last week with activity if later.
with classes as (

    select * from {{ ref('int_classes_calendared') }}
    where start_date is not null

),

weeks as (

    select
        class_id,
        start_date,
        unnest(range(1, greatest(
            coalesce(n_weeks, 0),
            cast(ceil((date_diff('day', start_date, coalesce(last_event_date, start_date)) + 1) / 7.0) as bigint)
        ) + 1)) as week
    from classes

)

select
    class_id,
    cast(week as bigint) as week,
    cast(start_date + cast(7 * (week - 1) as integer) as date) as week_start_date,
    cast(start_date + cast(7 * week as integer) as date) as cutoff_date
from weeks
