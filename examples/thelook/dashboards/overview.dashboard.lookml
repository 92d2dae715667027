# The demo's LookML dashboard, addressed as `thelook::overview`: render it with
# POST /render_tasks/dashboards/thelook::overview/pdf?width=1200&height=900
# (body: {"dashboard_style": "tiled", "dashboard_filters": "Status=Complete"}).
- dashboard: overview
  title: Sales overview
  layout: newspaper
  description: Items, revenue and buyers of the demo store.
  filters:
  - name: Status
    title: Order status
    type: field_filter
    default_value: "-Cancelled"
    model: thelook
    explore: order_items
    field: orders.status
  - name: Category
    type: field_filter
    model: thelook
    explore: order_items
    field: products.category
  elements:
  - name: items_by_status
    title: Items by status
    model: thelook
    explore: order_items
    type: looker_column
    fields: [orders.status, order_items.count]
    sorts: [orders.status]
    listen:
      Status: orders.status
      Category: products.category
    row: 0
    col: 0
    width: 8
    height: 6
  - name: revenue_by_month
    title: Revenue by month
    model: thelook
    explore: order_items
    type: looker_line
    fields: [order_items.created_month, order_items.total_sale_price]
    sorts: [order_items.created_month desc]
    limit: 24
    listen:
      Status: orders.status
      Category: products.category
    row: 0
    col: 8
    width: 16
    height: 6
  - name: top_categories
    title: Top categories
    model: thelook
    explore: order_items
    type: looker_bar
    fields: [products.category, order_items.total_sale_price]
    sorts: [order_items.total_sale_price desc]
    limit: 10
    listen:
      Status: orders.status
    row: 6
    col: 0
    width: 12
    height: 8
  - name: buyers_by_state
    title: Buyers by state
    model: thelook
    explore: order_items
    type: looker_grid
    fields: [users.state, users.count]
    sorts: [users.count desc]
    limit: 12
    listen:
      Status: orders.status
      Category: products.category
    row: 6
    col: 12
    width: 12
    height: 8
  - name: about
    type: text
    title_text: About these figures
    body_text: Generated demo data; cancelled orders are left out unless the **Order status** filter says otherwise.
    row: 14
    col: 0
    width: 24
    height: 2
  - name: items_sold
    title: Items sold
    model: thelook
    explore: order_items
    type: single_value
    fields: [order_items.count]
    listen:
      Status: orders.status
      Category: products.category
    row: 16
    col: 0
    width: 8
    height: 5
  - name: status_mix
    title: Status mix
    model: thelook
    explore: order_items
    type: looker_pie
    fields: [orders.status, order_items.count]
    sorts: [order_items.count desc]
    listen:
      Category: products.category
    row: 16
    col: 8
    width: 16
    height: 5
