view: base_people {
  extension: required
  dimension: id {
    primary_key: yes
    type: number
  }
  dimension: name {}
  dimension: age { type: number }
  measure: count { type: count }
}

view: users {
  extends: [base_people]
  sql_table_name: main.users ;;
  dimension: country {}
  dimension: home {
    type: location
    sql_latitude: ${age} ;;
    sql_longitude: ${TABLE}.id ;;
  }
  dimension: origin {
    type: location
    sql_latitude: 0 ;;
    sql_longitude: 0 ;;
  }
  dimension: km_from_origin {
    type: distance
    start_location_field: origin
    end_location_field: users.home
    units: kilometers
  }
  dimension: miles_from_origin {
    type: distance
    start_location_field: origin
    end_location_field: home
    units: miles
  }
  dimension: country_any_case {
    sql: ${TABLE}.country ;;
    case_sensitive: no
  }
  dimension: age_tier {
    type: tier
    tiers: [20, 40, 60]
    sql: ${age} ;;
  }
  dimension_group: created {
    type: time
    timeframes: [raw, date, month]
    sql: ${TABLE}.created_at ;;
  }
  measure: total_age { type: sum sql: ${age} ;; }
  measure: average_age { type: average sql: ${age} ;; }
}
