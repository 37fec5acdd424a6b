-- One row per stretch of a video one student watched without interruption: opened by a play
-- (played, started, resumed, or a seek while playing) at its video time, closed by the same
-- student's next pause, seek, completion or end of that video (at its video time; a seek closes
-- at the time it jumped from). Stretches left open, backwards or too long in wall time are dropped.
with events as (

    select * from {{ ref('int_learning_events_resolved') }}
    where content_type = 'video' or lower(object_type) in ('video', 'videoobject')

),

ordered as (

    select
        event_id,
        student_id,
        class_id,
        content_id as video_id,
        occurred_at,
        verb,
        video_time_s,
        video_time_from_s,
        video_time_to_s,
        lag(verb) over w as previous_verb,
        lead(verb) over w as next_verb,
        lead(occurred_at) over w as next_occurred_at,
        lead(video_time_s) over w as next_video_time_s,
        lead(video_time_from_s) over w as next_video_time_from_s
    from events
    window w as (partition by student_id, content_id order by occurred_at, event_id)

),

stretches as (

    select
        event_id as view_id,
        student_id,
        class_id,
        video_id,
        occurred_at as started_at,
        next_occurred_at as ended_at,
        case when verb = 'seeked' then coalesce(video_time_to_s, video_time_s) else video_time_s end
            as from_s,
        case
            when next_verb = 'seeked' then coalesce(next_video_time_from_s, next_video_time_s)
            else next_video_time_s
        end as to_s
    from ordered
    where (
            verb in ('played', 'started', 'resumed')
            or (verb = 'seeked' and previous_verb in ('played', 'started', 'resumed', 'seeked'))
        )
      and next_verb in ('paused', 'completed', 'ended', 'seeked', 'terminated')
      and date_diff('second', occurred_at, next_occurred_at) <= {{ var('video_max_view_gap_s') }}

)

select *
from stretches
where from_s is not null and to_s is not null and to_s > from_s and from_s >= 0
