//! The caller, from `Authorization: token …` (Looker's form) or `Bearer …` (what the SDKs send),
//! held to its request rate when there is one, with what their roles let them do (read with the
//! token, in one statement). Handlers ask the caller before they act: a permission missing is a
//! 403 that names it; a model or object the caller may not see is a 404, as in Looker.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use engine::QueryBody;
use format::ResultFormat;
use store::{Grants, Permission};

use crate::{ApiError, AppState};

pub struct Caller {
    pub user_id: i64,
    pub token: String,
    pub grants: Grants,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(ApiError::unauthorized)?;
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_string())
            .ok_or_else(ApiError::unauthorized)?;
        let (user_id, grants) = state.engine.store().caller_for_token(&token).await?.ok_or_else(ApiError::unauthorized)?;
        if let Some(rates) = &state.user_rates {
            rates.take(user_id).map_err(ApiError::too_many_requests)?;
        }
        Ok(Caller { user_id, token, grants })
    }
}

fn forbidden(message: String) -> ApiError {
    ApiError::new(axum::http::StatusCode::FORBIDDEN, message)
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.grants.is_admin()
    }

    /// Users, roles, connections and user attributes are managed by admins only.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(forbidden("Forbidden: only an admin (a role with the Admin permission set) may do this".into()))
        }
    }

    /// `p` held on some model (or instance-wide).
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.grants.has(p) {
            Ok(())
        } else {
            Err(forbidden(format!("Forbidden: this needs the `{}` permission, which none of your roles gives", p.as_str())))
        }
    }

    /// `p` held on `model`.
    pub fn require_on(&self, p: Permission, model: &str) -> Result<(), ApiError> {
        if self.grants.has_on(p, model) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "Forbidden: this needs the `{}` permission on model `{model}`, which none of your roles gives",
                p.as_str()
            )))
        }
    }

    /// True when the caller may see `model` at all (`access_data` on it); a model they may not
    /// see answers as if it did not exist.
    pub fn sees_model(&self, model: &str) -> bool {
        self.grants.has_on(Permission::AccessData, model)
    }

    /// The caller's own object, or any when they hold `p` (admins hold every permission).
    pub fn owns_or(&self, owner: i64, p: Permission) -> bool {
        owner == self.user_id || self.grants.has(p)
    }

    /// May run `query` (saved or not) in `format`: `access_data` on its model, `see_sql` for SQL.
    pub fn may_run(&self, query: &QueryBody, format: Option<ResultFormat>) -> Result<(), ApiError> {
        if !self.sees_model(&query.model) {
            return Err(ApiError::not_found(format!("model `{}` does not exist (or you may not see it)", query.model)));
        }
        if format == Some(ResultFormat::Sql) {
            self.require_on(Permission::SeeSql, &query.model)?;
        }
        Ok(())
    }

    /// May make `query` anew: `explore` on its model, and `create_table_calculations` /
    /// `create_custom_fields` for the dynamic fields it brings.
    pub fn may_create(&self, query: &QueryBody) -> Result<(), ApiError> {
        self.may_run(query, None)?;
        self.require_on(Permission::Explore, &query.model)?;
        let Some(dynamic) = query.dynamic_fields.as_deref() else { return Ok(()) };
        // A dynamic_fields the compiler cannot read is its error to report, not a permission one.
        let Ok(serde_json::Value::Array(fields)) = serde_json::from_str::<serde_json::Value>(dynamic) else { return Ok(()) };
        for field in &fields {
            if field.get("table_calculation").is_some() {
                self.require_on(Permission::CreateTableCalculations, &query.model)?;
            }
            if field.get("measure").is_some() || field.get("dimension").is_some() {
                self.require_on(Permission::CreateCustomFields, &query.model)?;
            }
        }
        Ok(())
    }
}
