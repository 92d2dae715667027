view: inventory_items {
  sql_table_name: inventory_items ;;

  dimension: id { primary_key: yes type: number }
  dimension: product_id { type: number hidden: yes }
  dimension: cost { type: number }
  dimension: is_sold { type: yesno sql: ${TABLE}.sold_at IS NOT NULL ;; }
  dimension_group: created { type: time timeframes: [raw, date, month, year] sql: ${TABLE}.created_at ;; }

  measure: count { type: count }
  measure: total_cost { type: sum sql: ${cost} ;; }
}
