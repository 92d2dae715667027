# The same explore on a connection the config does not declare: sdk_warehouses.py creates it
# through the API, and its queries must fail until then and work at once after.
connection: "late_warehouse"
include: "*.view"

explore: orders {
  join: customers {
    sql_on: ${orders.customer_id} = ${customers.id} ;;
    relationship: many_to_one
  }
}
