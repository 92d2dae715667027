view: distribution_centers {
  sql_table_name: distribution_centers ;;

  dimension: id { primary_key: yes type: number }
  dimension: name {}
  dimension: latitude { type: number }
  dimension: longitude { type: number }

  measure: count { type: count }
}
