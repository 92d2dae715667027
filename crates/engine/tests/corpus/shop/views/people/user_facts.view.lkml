# A native derived table: the orders explore's own query, one row per user.
view: user_facts {
  derived_table: {
    explore_source: orders {
      column: user_id { field: orders.user_id }
      column: lifetime_orders { field: orders.count }
      column: lifetime_amount { field: orders.total_amount }
      derived_column: average_order { sql: lifetime_amount / NULLIF(lifetime_orders, 0) ;; }
      filters: [orders.status: "-cancelled"]
      sorts: [lifetime_amount: desc]
    }
    datagroup_trigger: nightly
  }
  dimension: user_id { primary_key: yes type: number }
  dimension: lifetime_orders { type: number }
  dimension: average_order { type: number }
  measure: users { type: count }
  measure: total_lifetime_amount { type: sum sql: ${TABLE}.lifetime_amount ;; }
}

view: status_counts {
  derived_table: {
    sql: SELECT status, COUNT(*) AS n FROM ${orders.SQL_TABLE_NAME} GROUP BY 1 ;;
  }
  dimension: status { primary_key: yes }
  dimension: n { type: number }
}

# Bound to the outer query's filters: counts follow what the query filters on.
view: user_order_counts {
  derived_table: {
    explore_source: orders {
      column: user_id { field: orders.user_id }
      column: orders_per_user { field: orders.count }
      bind_all_filters: yes
    }
  }
  dimension: user_id { primary_key: yes type: number }
  dimension: orders_per_user { type: number }
}
