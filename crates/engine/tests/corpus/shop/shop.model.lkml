connection: "shop"
label: "Shop"
include: "/views/**.view.lkml"
include: "refinements.lkml"

# `user_facts` persists with it (its table is built only on a connection with a scratch schema).
datagroup: nightly {
  max_cache_age: "24 hours"
}

explore: orders {
  join: users {
    foreign_key: user_id
    relationship: many_to_one
  }
  join: order_items {
    sql_on: ${order_items.order_id} = ${orders.id} ;;
    relationship: one_to_many
  }
  join: user_order_counts {
    sql_on: ${orders.user_id} = ${user_order_counts.user_id} ;;
    relationship: many_to_one
  }
}

explore: order_items {
  join: orders {
    sql_on: ${order_items.order_id} = ${orders.id} ;;
    relationship: many_to_one
  }
  join: users {
    sql_on: ${orders.user_id} = ${users.id} ;;
    relationship: many_to_one
    required_joins: [orders]
  }
}

explore: completed_orders {
  from: orders
  fields: [ALL_FIELDS*, -completed_orders.needs_users*]
  sql_always_where: ${completed_orders.status} = 'complete' ;;
  sql_always_having: ${completed_orders.count} > 1 ;;
  always_filter: { filters: [completed_orders.created_year: "2024"] }
}

explore: conditional_orders {
  from: orders
  conditionally_filter: {
    filters: [conditional_orders.status: "pending"]
    unless: [conditional_orders.id]
  }
  fields: [ALL_FIELDS*, -conditional_orders.total_amount, -conditional_orders.needs_users*]
}

# A join's `sql_where` restricts the query only when the join is used.
explore: adult_orders {
  from: orders
  join: users {
    sql_on: ${adult_orders.user_id} = ${users.id} ;;
    relationship: many_to_one
    sql_where: ${users.age} >= 30 ;;
  }
}

# A join that reads another table than its view's (`sql_table_name` on the join): the users
# of one country only.
explore: us_orders {
  from: orders
  join: users {
    sql_table_name: (SELECT * FROM main.users WHERE country = 'US') ;;
    sql_on: ${us_orders.user_id} = ${users.id} ;;
    relationship: many_to_one
    type: inner
  }
}

# Orders row by row: with the order id in a query, Looker writes no GROUP BY.
explore: order_rows {
  from: orders
  cancel_grouping_fields: [order_rows.id]
  join: users {
    sql_on: ${order_rows.user_id} = ${users.id} ;;
    relationship: many_to_one
  }
}

explore: customers {
  view_name: customer_summary
}

explore: users {
  join: user_facts {
    sql_on: ${users.id} = ${user_facts.user_id} ;;
    relationship: one_to_one
  }
}

explore: status_counts {}

explore: filtered_status_counts {}
