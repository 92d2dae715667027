//! Every parameter Looker documents, per LookML structure, and what Sightline does with it.
//!
//! The builder asks this table about every key it does not handle itself, so nothing is dropped
//! in silence: a parameter that would change the numbers and is not implemented is a located
//! "not supported yet" error; one that only affects presentation, caching or persistence (which
//! cannot change a result) is accepted; an unknown key is a located warning, as Looker's
//! validator names it.

/// Where a parameter appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    Model,
    Explore,
    Join,
    View,
    DerivedTable,
    Dimension,
    DimensionGroup,
    Measure,
    /// `filter:` fields.
    FilterField,
    /// `parameter:` fields.
    ParameterField,
}

impl Structure {
    pub fn name(self) -> &'static str {
        match self {
            Structure::Model => "model",
            Structure::Explore => "explore",
            Structure::Join => "join",
            Structure::View => "view",
            Structure::DerivedTable => "derived_table",
            Structure::Dimension => "dimension",
            Structure::DimensionGroup => "dimension_group",
            Structure::Measure => "measure",
            Structure::FilterField => "filter",
            Structure::ParameterField => "parameter",
        }
    }
}

/// What Sightline does with a parameter the builder does not interpret itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Presentation, caching, persistence or documentation: it cannot change a query's rows, so
    /// it is accepted (and kept where the API reports it).
    Accepted,
    /// It would change results or access; refusing it beats answering without it.
    NotYet,
}

/// Parameters that change no result, accepted in every field structure.
const FIELD_PRESENTATION: &[&str] = &[
    "alias",
    "group_item_label",
    "label_from_parameter",
    "suggestable",
    "suggestions",
    "suggest_dimension",
    "suggest_explore",
    "suggest_persist_for",
    "full_suggestions",
    "bypass_suggest_restrictions",
    "can_filter",
    "skip_drill_filter",
    "required_fields",
    "map_layer_name",
    "action",
    "allow_approximate_optimization",
    "link",
    "html",
    "drill_fields",
    "tags",
    "value_format",
    "value_format_name",
    "group_label",
    "view_label",
    "description",
    "label",
    "hidden",
    "fanout_on",
    "string_datatype",
    "precision",
    "alpha_sort",
    "final",
];

/// Parameters that would change results or access and are not implemented yet.
const NOT_YET: &[(Structure, &[&str])] = &[
    (Structure::Model, &["aggregate_awareness"]),
    (Structure::Join, &["outer_only", "sql", "sql_foreign_key"]),
    (Structure::DerivedTable, &["create_process", "sql_create", "materialized_view"]),
    (Structure::Dimension, &["sql_latitude", "sql_longitude", "start_location_field", "end_location_field", "units", "bins"]),
    (Structure::DimensionGroup, &["sql_latitude", "sql_longitude"]),
    (Structure::Measure, &["based_on", "based_on_time", "period", "kind"]),
];

/// Accepted per structure beyond the shared field presentation list.
const ACCEPTED: &[(Structure, &[&str])] = &[
    (Structure::Model, &["map_layer", "test", "label", "include", "aggregate_awareness_timezone"]),
    (
        Structure::Explore,
        &["tags", "group_label", "description", "label", "hidden", "view_label", "query", "final", "symmetric_aggregates"],
    ),
    (Structure::Join, &["view_label"]),
    (Structure::View, &["drill_fields", "suggestions", "label", "view_label", "fields_hidden_by_default", "final", "test", "description"]),
    (
        Structure::DerivedTable,
        &[
            // Persistence (`datagroup_trigger`, `sql_trigger_value`, `persist_for`,
            // `interval_trigger`) is read by the builder. Incremental builds and the storage
            // options below change how a table is stored, not its rows: a PDT is built whole.
            "increment_key",
            "increment_offset",
            "publish_as_db_view",
            "indexes",
            "distribution",
            "distribution_style",
            "sortkeys",
            "cluster_keys",
            "partition_keys",
            "table_compression",
            "table_format",
            "cluster_by",
        ],
    ),
    (Structure::Dimension, &[]),
    (Structure::DimensionGroup, &[]),
    // `approximate_threshold` tunes COUNT(DISTINCT) in BigQuery's legacy SQL only; Sightline
    // writes standard SQL, where Looker ignores it too.
    (Structure::Measure, &["approximate_threshold"]),
    (Structure::FilterField, &["suggest_dimension", "suggest_explore", "datatype", "convert_tz"]),
    (Structure::ParameterField, &[]),
];

/// What to do with `key` in `structure`; `None` for a key Looker does not document there.
pub fn support(structure: Structure, key: &str) -> Option<Support> {
    let find = |table: &[(Structure, &[&str])]| table.iter().any(|(s, keys)| *s == structure && keys.contains(&key));
    if find(NOT_YET) {
        return Some(Support::NotYet);
    }
    let is_field = matches!(
        structure,
        Structure::Dimension | Structure::DimensionGroup | Structure::Measure | Structure::FilterField | Structure::ParameterField
    );
    if find(ACCEPTED) || (is_field && FIELD_PRESENTATION.contains(&key)) {
        return Some(Support::Accepted);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_changing_parameters_are_not_accepted() {
        assert_eq!(support(Structure::Join, "outer_only"), Some(Support::NotYet));
        assert_eq!(support(Structure::Dimension, "bins"), Some(Support::NotYet));
        assert_eq!(support(Structure::Dimension, "value_format_name"), Some(Support::Accepted));
        assert_eq!(support(Structure::DerivedTable, "increment_key"), Some(Support::Accepted));
        assert_eq!(support(Structure::Dimension, "bogus_param"), None);
        assert_eq!(support(Structure::View, "value_format_name"), None);
    }
}
