view: products {
  sql_table_name: products ;;

  dimension: id { primary_key: yes type: number }
  dimension: name {}
  dimension: brand {}
  dimension: category {}
  dimension: department {}
  dimension: sku {}
  dimension: cost { type: number }
  dimension: retail_price { type: number }
  dimension: distribution_center_id { type: number hidden: yes }

  measure: count { type: count }
  measure: average_retail_price { type: average sql: ${retail_price} ;; }
}
