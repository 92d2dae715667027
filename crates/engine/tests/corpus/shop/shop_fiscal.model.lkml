# The same views under a calendar whose weeks start on Sunday and whose fiscal year starts in April.
connection: "shop"
week_start_day: sunday
fiscal_month_offset: 3
include: "/views/**.view.lkml"

# `user_facts` persists with it (its table is built only on a connection with a scratch schema).
datagroup: nightly {
  max_cache_age: "24 hours"
}

explore: orders {
  join: users {
    sql_on: ${orders.user_id} = ${users.id} ;;
    relationship: many_to_one
  }
}
