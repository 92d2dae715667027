view: orders {
  sql_table_name: sdk_orders ;;
  dimension: id { primary_key: yes type: number }
  dimension: customer_id { type: number }
  dimension: status {}
  dimension: amount { type: number }
  dimension: amount_tier { type: tier tiers: [10, 50] style: integer sql: ${amount} ;; }
  dimension_group: created { type: time timeframes: [date, month, year] sql: ${TABLE}.created_at ;; }
  measure: count { type: count }
  measure: total_amount { type: sum sql: ${amount} ;; }
  measure: complete_amount { type: sum sql: ${amount} ;; filters: [status: "complete"] }
}

view: customers {
  sql_table_name: sdk_customers ;;
  dimension: id { primary_key: yes type: number }
  dimension: region {}
  dimension: age { type: number }
  measure: count { type: count }
  measure: average_age { type: average sql: ${age} ;; }
}

# A statement that runs for 30 s (`slow_view` is created per database by sdk_warehouses.rs):
# sdk_kill.py kills its task and the test watches the database's own session list.
view: slow {
  sql_table_name: slow_view ;;
  dimension: n { type: number }
}

# A statement that sleeps 50 ms (`nap_view`, created by sdk_warehouses.rs): sdk_load.py runs many
# at once while the test watches how many the database runs together.
view: nap {
  sql_table_name: nap_view ;;
  dimension: n { type: number }
}

# A statement that notes each run in `sdk_runs` (`counted_view`, created by sdk_two_servers.rs on
# PostgreSQL): the database itself counts how many times each task's statement ran.
view: counted {
  sql_table_name: counted_view ;;
  dimension: n { type: number }
}

# A persistent derived table over `sdk_runs` (sdk_two_servers.rs): built once into the scratch
# schema by whichever server first needs it, and read by the other.
view: runs_built {
  derived_table: {
    sql: SELECT COUNT(*) AS n FROM sdk_runs ;;
    persist_for: "1 hour"
  }
  dimension: n { type: number }
}

# A persistent derived table over `sdk_orders` (sdk_pdt.py, run by sdk_warehouses.rs): built into
# the connection's scratch schema on first use, then read until rebuilt.
view: order_counts_built {
  derived_table: {
    sql: SELECT status, COUNT(*) AS orders FROM sdk_orders GROUP BY status ;;
    persist_for: "1 hour"
  }
  dimension: status { primary_key: yes }
  dimension: orders { type: number }
}

view: preamble_rate {
  sql_table_name: preamble_rate ;;
  dimension: factor { type: number }
}
