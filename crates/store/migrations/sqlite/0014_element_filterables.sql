-- The dashboard filters a chart element listens to, as Looker's `result_maker.filterables`
-- (JSON: [{model, view, name, listen: [{dashboard_filter_name, field}]}]). NULL: the element
-- never said, and each field filter applies to the charts of its explore.
ALTER TABLE dashboard_elements ADD COLUMN filterables TEXT;
