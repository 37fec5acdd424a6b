-- One row per student per class per piece of content the student touched: when first and last.
select
    student_id,
    class_id,
    content_id,
    any_value(module) as module,
    min(event_date) as first_touched_date,
    max(event_date) as last_touched_date,
    min(class_week) as first_touched_week,
    count(*) as n_events
from {{ ref('int_learning_events_resolved') }}
where content_id is not null
group by student_id, class_id, content_id
