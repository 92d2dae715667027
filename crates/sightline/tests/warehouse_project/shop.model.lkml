# A small project over tables that sdk_warehouses.rs creates in PostgreSQL and MariaDB.
connection: "warehouse"
include: "*.view"

explore: orders {
  join: customers {
    sql_on: ${orders.customer_id} = ${customers.id} ;;
    relationship: many_to_one
  }
}

explore: slow {}
explore: nap {}
explore: counted {}
explore: runs_built {}
explore: order_counts_built {}
