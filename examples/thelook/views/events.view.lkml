view: events {
  sql_table_name: events ;;

  dimension: id { primary_key: yes type: number }
  dimension: user_id { type: number hidden: yes }
  dimension: session_id {}
  dimension: sequence_number { type: number }
  dimension: city {}
  dimension: browser {}
  dimension: traffic_source {}
  dimension: event_type {}
  dimension: uri {}
  dimension_group: created { type: time sql: ${TABLE}.created_at ;; }

  measure: count { type: count }
  measure: session_count { type: count_distinct sql: ${session_id} ;; }
  measure: approximate_session_count { type: count_distinct approximate: yes sql: ${session_id} ;; }
}
