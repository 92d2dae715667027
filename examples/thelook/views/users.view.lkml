view: users {
  sql_table_name: users ;;

  dimension: id { primary_key: yes type: number }
  dimension: first_name {}
  dimension: last_name {}
  dimension: email {}
  dimension: age { type: number }
  dimension: gender {}
  dimension: state {
    link: {
      label: "Search the web"
      url: "https://www.google.com/search?q={{ value | url_encode }}"
    }
  }
  dimension: city {}
  dimension: country {}
  dimension: zip { type: zipcode }
  dimension: traffic_source {}
  dimension: is_adult { type: yesno sql: ${age} >= 18 ;; }
  dimension_group: created {
    type: time
    timeframes: [raw, date, week, month, quarter, year]
    sql: ${TABLE}.created_at ;;
  }

  measure: count { type: count }
  measure: average_age { type: average sql: ${age} ;; }
  measure: total_age { type: sum sql: ${age} ;; }
}
