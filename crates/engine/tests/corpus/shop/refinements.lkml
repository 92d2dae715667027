# Refinements apply after the views they refine, in include order.
view: +orders {
  dimension: amount {
    type: number
    sql: ROUND(${TABLE}.amount, 2) ;;
  }
  dimension: big {
    type: yesno
    sql: ${amount} >= 100 ;;
  }
}

view: +users {
  dimension: name {
    sql: UPPER(${TABLE}.name) ;;
  }
}
