-- One row per student per class per module: how much of the module's content the student has
-- touched.
with enrollments as (

    select student_id, class_id from {{ ref('int_enrollments_windowed') }}

),

modules as (

    select class_id, coalesce(module, 'unassigned') as module, count(*) as n_content
    from {{ ref('stg_silver__content_items') }}
    group by all

),

touched as (

    select student_id, class_id, coalesce(module, 'unassigned') as module, count(*) as n_touched,
        max(last_touched_date) as last_touched_date
    from {{ ref('int_student_content_touched') }}
    where content_id in (select content_id from {{ ref('stg_silver__content_items') }})
    group by all

)

select
    enrollments.student_id,
    enrollments.class_id,
    modules.module,
    modules.n_content,
    coalesce(touched.n_touched, 0) as n_content_touched,
    coalesce(touched.n_touched, 0) / modules.n_content as content_touched_share,
    touched.last_touched_date,
    {{ curated_at() }} as curated_at
from enrollments
inner join modules using (class_id)
left join touched using (student_id, class_id, module)
