-- One row per video per 5-second segment (var video_segment_s), from 0 to the furthest time
-- any viewer reached: how often the segment was watched, by how many students, and how many
-- of the views were a student coming back to it.
with stretches as (

    select * from {{ ref('int_video_views') }}

),

segment_views as (

    select
        video_id,
        student_id,
        cast(unnest(range(
            cast(floor(from_s / {{ var('video_segment_s') }}) as bigint),
            cast(ceil(to_s / {{ var('video_segment_s') }}) as bigint)
        )) as bigint) as segment_index
    from stretches

),

videos as (

    select
        video_id,
        any_value(class_id) as class_id,
        cast(ceil(max(to_s) / {{ var('video_segment_s') }}) as bigint) as n_segments
    from stretches
    group by video_id

),

segments as (

    select video_id, class_id, cast(unnest(range(0, n_segments)) as bigint) as segment_index
    from videos

),

counted as (

    select
        video_id,
        segment_index,
        count(*) as n_views,
        count(distinct student_id) as n_unique_viewers
    from segment_views
    group by video_id, segment_index

),

final as (

    select
        segments.video_id,
        segments.class_id,
        segments.segment_index,
        segments.segment_index * {{ var('video_segment_s') }} as segment_start_s,
        (segments.segment_index + 1) * {{ var('video_segment_s') }} as segment_end_s,
        coalesce(counted.n_views, 0) as n_views,
        coalesce(counted.n_unique_viewers, 0) as n_unique_viewers,
        coalesce(counted.n_views, 0) - coalesce(counted.n_unique_viewers, 0) as n_repeat_views,
        {{ curated_at() }} as curated_at
    from segments
    left join counted using (video_id, segment_index)

)

select * from final
