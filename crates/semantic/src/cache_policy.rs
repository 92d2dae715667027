//! How long query results may be served from the result cache: `datagroup`s, `persist_for` and
//! `persist_with` of models and explores, read into a [`CachePolicy`] per explore.
//!
//! Looker's rule: an explore's own `persist_with`/`persist_for`, else its model's, else one hour.
//! A datagroup bounds the age with `max_cache_age` and invalidates with `sql_trigger` (a query
//! whose value changes) or `interval_trigger` (a clock); the engine evaluates the triggers.

use std::collections::BTreeMap;
use std::time::Duration;

use lookml::{Pair, Span};

use crate::build::Builder;
use crate::model::{Explore, Model};

/// Results are kept this long when nothing in the model says otherwise (Looker's default).
pub const DEFAULT_CACHE_AGE: Duration = Duration::from_secs(3600);

/// `datagroup: name { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Datagroup {
    pub name: String,
    /// SQL returning one value; when it changes, results cached before are stale.
    pub sql_trigger: Option<String>,
    /// Results older than this are stale.
    pub max_cache_age: Option<Duration>,
    /// The trigger changes at every multiple of this since 1970.
    pub interval_trigger: Option<Duration>,
    pub label: Option<String>,
    pub description: Option<String>,
    pub span: Span,
}

/// `persist_for: "2 hours"` or `persist_with: datagroup_name`.
#[derive(Debug, Clone, PartialEq)]
pub enum Persist {
    For(Duration),
    With(String),
}

/// When a persistent derived table is rebuilt.
#[derive(Debug, Clone, PartialEq)]
pub enum Persistence {
    /// `datagroup_trigger: name`: when the datagroup's trigger changes (or its `max_cache_age`
    /// passes).
    Datagroup(String),
    /// `sql_trigger_value: SELECT …`: when this query's value changes.
    SqlTrigger(String),
    /// `persist_for: "24 hours"` (or `interval_trigger`): on first use after this long.
    For(Duration),
}

/// What decides whether a cached result of an explore may be served.
#[derive(Debug, Clone, PartialEq)]
pub struct CachePolicy {
    /// Results older than this are stale (`None`: only a trigger makes them so).
    pub max_age: Option<Duration>,
    /// The datagroup whose triggers apply, if any.
    pub datagroup: Option<Datagroup>,
}

impl Model {
    /// The cache policy of `explore`: its own persistence, else the model's, else one hour.
    pub fn cache_policy(&self, explore: &Explore) -> CachePolicy {
        match explore.persist.as_ref().or(self.persist.as_ref()) {
            None => CachePolicy { max_age: Some(DEFAULT_CACHE_AGE), datagroup: None },
            Some(Persist::For(age)) => CachePolicy { max_age: Some(*age), datagroup: None },
            Some(Persist::With(name)) => match self.datagroups.get(name) {
                Some(group) => CachePolicy {
                    // A datagroup with no age bound and no trigger keeps Looker's default age.
                    max_age: group.max_cache_age.or(match group.sql_trigger.is_some() || group.interval_trigger.is_some() {
                        true => None,
                        false => Some(DEFAULT_CACHE_AGE),
                    }),
                    datagroup: Some(group.clone()),
                },
                // Validation reports it; nothing is cached meanwhile.
                None => CachePolicy { max_age: Some(Duration::ZERO), datagroup: None },
            },
        }
    }
}

/// `"2 hours"`, `"30 minutes"`, `"1 day"`, `"45 seconds"` (Looker's persistence durations).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut words = text.split_whitespace();
    let (number, unit) = (words.next()?.parse::<u64>().ok()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    let seconds = match unit.trim_end_matches('s') {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        _ => return None,
    };
    number.checked_mul(seconds).map(Duration::from_secs)
}

impl Builder<'_> {
    /// `persist_for` or `persist_with` (the datagroup is checked once all are read).
    pub(crate) fn persist(&mut self, pair: &Pair) -> Option<Persist> {
        let text = self.text(pair)?;
        match pair.key.as_str() {
            "persist_for" => self.duration(pair, &text).map(Persist::For),
            _ => Some(Persist::With(text)),
        }
    }

    fn duration(&mut self, pair: &Pair, text: &str) -> Option<Duration> {
        let parsed = parse_duration(text);
        if parsed.is_none() {
            self.error(
                pair.value.span,
                format!("`{}` takes a duration such as \"2 hours\" (seconds, minutes, hours or days), not `{text}`", pair.key),
            );
        }
        parsed
    }

    /// One of a derived table's persistence parameters (the datagroup is checked once all are
    /// read).
    pub(crate) fn persistence(&mut self, pair: &Pair) -> Option<Persistence> {
        let text = self.text(pair)?;
        match pair.key.as_str() {
            "datagroup_trigger" => Some(Persistence::Datagroup(text)),
            "sql_trigger_value" => Some(text).filter(|t| !t.trim().is_empty()).map(Persistence::SqlTrigger),
            _ => self.duration(pair, &text).filter(|d| !d.is_zero()).map(Persistence::For),
        }
    }

    /// `datagroup: name { sql_trigger max_cache_age interval_trigger label description }`.
    pub(crate) fn datagroup(&mut self, pair: &Pair, into: &mut BTreeMap<String, Datagroup>) {
        let Some((name, items)) = self.named_block(pair) else { return };
        let mut group = Datagroup {
            name: name.to_string(),
            sql_trigger: None,
            max_cache_age: None,
            interval_trigger: None,
            label: None,
            description: None,
            span: pair.key_span,
        };
        for item in items {
            match item.key.as_str() {
                "sql_trigger" => group.sql_trigger = self.text(item).filter(|s| !s.trim().is_empty()),
                "max_cache_age" => group.max_cache_age = self.text(item).and_then(|t| self.duration(item, &t)),
                "interval_trigger" => {
                    group.interval_trigger = self.text(item).and_then(|t| self.duration(item, &t)).filter(|d| !d.is_zero())
                }
                "label" => group.label = self.text(item),
                "description" => group.description = self.text(item),
                other => self.error(item.key_span, format!("`{other}` is not a parameter of `datagroup`")),
            }
        }
        if group.sql_trigger.is_some() && group.interval_trigger.is_some() {
            self.error(pair.key_span, format!("datagroup `{name}` has both `sql_trigger` and `interval_trigger`; Looker allows one"));
        }
        if into.insert(group.name.clone(), group).is_some() {
            self.error(pair.key_span, format!("datagroup `{name}` is defined twice"));
        }
    }

    /// Every `persist_with` of the model and its explores names a datagroup of the model.
    pub(crate) fn check_persist_with(&mut self, model: &Model, spans: &[(Option<String>, Span)]) {
        for (name, span) in spans {
            if let Some(name) = name.as_ref().filter(|n| !model.datagroups.contains_key(*n)) {
                self.error(*span, format!("`persist_with: {name}` names no datagroup of model `{}`", model.name));
            }
        }
        for view in model.views.values() {
            if let Some(Persistence::Datagroup(name)) = &view.persistence {
                if !model.datagroups.contains_key(name) {
                    self.error(
                        view.span,
                        format!("`datagroup_trigger: {name}` of view `{}` names no datagroup of model `{}`", view.name, model.name),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_looker_writes_them() {
        assert_eq!(parse_duration("2 hours"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1 hour"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration(" 30  minutes "), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1 day"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("0 seconds"), Some(Duration::ZERO));
        for bad in ["", "hours", "2", "2 weeks", "-1 hour", "1.5 hours", "2 hours ago"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
