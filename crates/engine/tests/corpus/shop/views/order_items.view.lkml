view: order_items {
  sql_table_name: main.order_items ;;
  dimension: id {
    primary_key: yes
    type: number
  }
  dimension: order_id { type: number }
  dimension: order_amount {
    type: number
    sql: ${TABLE}.order_amount ;;
    hidden: yes
  }
  dimension: sale_price { type: number }
  measure: count { type: count }
  measure: total_sale_price { type: sum sql: ${sale_price} ;; }
  measure: order_amount_once {
    type: sum_distinct
    sql: ${order_amount} ;;
    sql_distinct_key: ${order_id} ;;
  }
  measure: order_amount_average_once {
    type: average_distinct
    sql: ${order_amount} ;;
    sql_distinct_key: ${order_id} ;;
  }
  measure: order_amount_median_once {
    type: median_distinct
    sql: ${order_amount} ;;
    sql_distinct_key: ${order_id} ;;
  }
}

view: customer_summary {
  derived_table: {
    sql: SELECT user_id, COUNT(*) AS orders, SUM(amount) AS amount FROM main.orders GROUP BY 1 ;;
    persist_for: "24 hours"
  }
  dimension: user_id { primary_key: yes type: number }
  dimension: orders { type: number }
  measure: customers { type: count }
  measure: big_customers { type: count filters: [orders: ">=3"] }
  measure: total_amount { type: sum sql: ${TABLE}.amount ;; }
  measure: amount_share { type: percent_of_total sql: ${total_amount} ;; }
}

view: filtered_status_counts {
  derived_table: {
    sql: SELECT status, COUNT(*) AS n FROM main.orders WHERE {% condition filtered_status_counts.status_filter %} status {% endcondition %} GROUP BY 1 ;;
  }
  filter: status_filter { type: string }
  dimension: status { primary_key: yes }
  dimension: n { type: number }
  measure: total { type: sum sql: ${n} ;; }
}
