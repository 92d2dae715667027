view: orders {
  sql_table_name: orders ;;

  dimension: order_id { primary_key: yes type: number }
  dimension: user_id { type: number hidden: yes }
  dimension: status {}
  dimension: num_of_item { type: number label: "Number of Items" }
  dimension_group: created {
    type: time
    sql: ${TABLE}.created_at ;;
  }
  dimension: is_shipped { type: yesno sql: ${TABLE}.shipped_at IS NOT NULL ;; }

  measure: count { type: count }
  measure: total_items { type: sum sql: ${num_of_item} ;; }
  measure: average_items { type: average sql: ${num_of_item} ;; }
}
