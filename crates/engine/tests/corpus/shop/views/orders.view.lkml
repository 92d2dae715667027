view: orders {
  sql_table_name: main.orders ;;

  dimension: id {
    primary_key: yes
    type: number
  }
  dimension: user_id { type: number }
  dimension: status {}
  dimension: amount { type: number }

  dimension: status_sorted {
    sql: ${status} ;;
    order_by_field: status_rank
  }
  dimension: status_rank {
    type: number
    hidden: yes
    sql: CASE ${status} WHEN 'pending' THEN 1 WHEN 'complete' THEN 2 ELSE 3 END ;;
  }

  dimension: status_group {
    case: {
      when: { sql: ${status} = 'pending' ;; label: "Open" }
      when: { sql: ${status} = 'complete' ;; label: "Done" }
      else: "Stopped"
    }
  }

  dimension: amount_tier {
    type: tier
    tiers: [10, 50, 100]
    style: integer
    sql: ${amount} ;;
  }

  # `type: bin` is a tier by another name (Looker 21.14).
  dimension: amount_bin {
    type: bin
    bins: [50, 100]
    style: relational
    sql: ${amount} ;;
  }

  dimension_group: created {
    type: time
    timeframes: [raw, time, time_of_day, date, week, month, quarter, year, hour, hour6, minute, minute15, second,
      day_of_week, day_of_week_index, day_of_month, day_of_year, week_of_year, month_name, month_num,
      quarter_of_year, hour_of_day, fiscal_month_num, fiscal_quarter, fiscal_quarter_of_year, fiscal_year, yesno]
    sql: ${TABLE}.created_at ;;
  }

  dimension_group: shipped {
    type: time
    timeframes: [date, yesno]
    datatype: epoch
    sql: ${TABLE}.shipped_epoch ;;
  }

  dimension_group: booked {
    type: time
    timeframes: [date, month]
    datatype: yyyymmdd
    sql: ${TABLE}.booked_ymd ;;
  }

  dimension_group: since_signup {
    type: duration
    intervals: [hour, day, week, month]
    sql_start: ${users.created_raw} ;;
    sql_end: ${created_raw} ;;
  }

  measure: count { type: count drill_fields: [detail*] }
  measure: total_amount { type: sum sql: ${amount} ;; value_format_name: usd }
  measure: complete_count {
    type: count
    filters: [status: "complete"]
  }
  measure: complete_amount {
    type: sum
    sql: ${amount} ;;
    filters: [status: "complete", created_year: "2024"]
  }
  measure: us_amount {
    type: sum
    sql: ${amount} ;;
    filters: [users.country: "US"]
  }
  measure: complete_users {
    type: count_distinct
    sql: ${user_id} ;;
    filters: [status: "-cancelled"]
  }
  measure: approximate_users {
    type: count_distinct
    approximate: yes
    sql: ${user_id} ;;
  }
  measure: median_amount { type: median sql: ${amount} ;; }
  measure: p90_amount { type: percentile percentile: 90 sql: ${amount} ;; }
  measure: statuses { type: list list_field: status }
  measure: first_order { type: date sql: MIN(${created_raw}) ;; }
  measure: any_pending { type: yesno sql: MAX(CASE WHEN ${status} = 'pending' THEN 1 ELSE 0 END) = 1 ;; }
  measure: average_amount { type: average sql: ${amount} ;; }
  measure: amount_per_order { type: number sql: ${total_amount} / NULLIF(${count}, 0) ;; }

  measure: running_count { type: running_total sql: ${count} ;; }
  measure: share_of_orders { type: percent_of_total sql: ${count} ;; }
  measure: growth { type: percent_of_previous sql: ${count} ;; }
  measure: running_amount { type: running_total sql: ${total_amount} ;; direction: "column" }

  # Liquid: parameters, templated filters, query introspection.
  parameter: amount_unit {
    type: unquoted
    allowed_value: { label: "Amount" value: "amount" }
    allowed_value: { label: "Identifier" value: "id" }
    default_value: "amount"
  }
  parameter: min_amount { type: number default_value: "50" }
  dimension: chosen_metric { type: number sql: ${TABLE}.{% parameter amount_unit %} ;; }
  measure: total_chosen { type: sum sql: ${chosen_metric} ;; }
  measure: total_over_min { type: sum sql: CASE WHEN ${amount} >= {% parameter min_amount %} THEN ${amount} END ;; }
  filter: status_select {
    type: string
    sql: {% condition status_select %} ${status} {% endcondition %} ;;
  }
  dimension: echo_status_filter { sql: {{ _filters['orders.status'] | sql_quote }} ;; }
  dimension: status_or_all {
    sql: {% if orders.status._is_selected %} ${status} {% else %} 'all' {% endif %} ;;
  }

  set: detail { fields: [id, status, users.name] }
  # Fields that need the users join, left out of explores without it.
  set: needs_users { fields: [hours_since_signup, days_since_signup, weeks_since_signup, months_since_signup, us_amount] }
}
