# A small project over tables that sdk_warehouses.rs creates in PostgreSQL and MariaDB.
connection: "warehouse"
include: "*.view"

explore: orders {
  join: customers {
    sql_on: ${orders.customer_id} = ${customers.id} ;;
    relationship: many_to_one
  }
}

# Row-level security: each user sees the orders of the customers of their region (the user
# attribute `region`, a filter expression); sdk_warehouses.py sets it.
explore: my_region_orders {
  from: orders
  join: customers {
    sql_on: ${my_region_orders.customer_id} = ${customers.id} ;;
    relationship: many_to_one
  }
  access_filter: { field: customers.region user_attribute: region }
}

explore: slow {}
explore: nap {}
explore: counted {}
explore: runs_built {}
explore: order_counts_built {}

# A table the explore's sql_preamble creates on the statement's session: each run creates it
# again, which fails if a session kept it from an earlier run.
explore: preamble_rate {
  sql_preamble: CREATE TEMPORARY TABLE preamble_rate AS SELECT 2 AS factor; ;;
}
