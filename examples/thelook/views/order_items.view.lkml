view: order_items {
  sql_table_name: order_items ;;
  # What "Show All" of a count or total lists (drill links, `generate_drill_links`).
  drill_fields: [detail*]

  set: detail {
    fields: [id, created_date, status, sale_price, users.state]
  }

  dimension: id { primary_key: yes type: number }
  dimension: order_id { type: number hidden: yes }
  dimension: user_id { type: number hidden: yes }
  dimension: product_id { type: number hidden: yes }
  dimension: inventory_item_id { type: number hidden: yes }
  dimension: status { type: string }
  dimension: sale_price { type: number }
  dimension: is_returned {
    type: yesno
    sql: ${TABLE}.returned_at IS NOT NULL ;;
  }
  dimension_group: created {
    type: time
    timeframes: [raw, time, date, week, month, quarter, year]
    sql: ${TABLE}.created_at ;;
  }
  dimension_group: returned {
    type: time
    timeframes: [raw, date, month]
    sql: ${TABLE}.returned_at ;;
  }

  measure: count { type: count }
  measure: order_count {
    type: count_distinct
    sql: ${order_id} ;;
  }
  measure: total_sale_price {
    type: sum
    sql: ${sale_price} ;;
    value_format_name: usd
  }
  measure: average_sale_price {
    type: average
    sql: ${sale_price} ;;
    value_format_name: usd
  }
  measure: max_sale_price { type: max sql: ${sale_price} ;; }
  measure: min_sale_price { type: min sql: ${sale_price} ;; }
  measure: average_spend_per_order {
    type: number
    sql: ${total_sale_price} / NULLIF(${order_count}, 0) ;;
    value_format_name: money_short
  }
}
