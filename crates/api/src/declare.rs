//! Per-route declarations of what Sightline implements of each Looker operation, and the layer
//! that holds every request to them. A query parameter or body field the spec defines for the
//! operation but the route does not implement answers 422 `not_supported` naming it, never
//! accepted and ignored; a parameter of the wrong type is a 400; parameters the spec does not
//! define are ignored, as Looker ignores them. `fields=` trims every JSON answer.
//!
//! The router is built from these declarations ([`crate::routes`]), so a route cannot exist
//! without one; the served `swagger.json` and the conformance test read them too.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use wire::fields::FieldSelection;
use wire::{Kind, Location, Operation};

use crate::ApiError;

/// Largest request body read, in bytes (a query with a long filter list stays far below it).
pub const MAX_BODY_BYTES: usize = 4 << 20;
/// Largest JSON answer `fields=` re-shapes.
const MAX_TRIMMED_BYTES: usize = 256 << 20;

/// What a route implements of its operation.
#[derive(Debug)]
pub struct Declared {
    pub op: &'static Operation,
    /// Query parameters honoured.
    pub query: &'static [&'static str],
    /// Boolean query parameters accepted only as `false` (the feature is not there, and `false`
    /// asks for its absence).
    pub query_off: &'static [&'static str],
    /// Writable body fields honoured (read-only ones are always ignored, as Looker does).
    pub body: &'static [&'static str],
    /// Boolean body fields accepted only as `false`.
    pub body_off: &'static [&'static str],
}

impl Declared {
    /// An operation with nothing beyond its path parameters implemented.
    pub const fn of(op: &'static Operation) -> Declared {
        Declared { op, query: &[], query_off: &[], body: &[], body_off: &[] }
    }

    pub const fn query(self, query: &'static [&'static str]) -> Declared {
        Declared { query, ..self }
    }

    pub const fn query_off(self, query_off: &'static [&'static str]) -> Declared {
        Declared { query_off, ..self }
    }

    pub const fn body(self, body: &'static [&'static str]) -> Declared {
        Declared { body, ..self }
    }

    /// The handler reads every writable field of the body itself, honouring or refusing each.
    pub const fn whole_body(self) -> Declared {
        let body = match self.op.body {
            Some(b) => b.writable,
            None => &[],
        };
        Declared { body, ..self }
    }

    pub const fn body_off(self, body_off: &'static [&'static str]) -> Declared {
        Declared { body_off, ..self }
    }

    /// Spec query parameters this route refuses.
    pub fn refused_query(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.op.params.iter().filter(|p| p.location == Location::Query && !self.query.contains(&p.name)).map(|p| p.name)
    }

    /// Spec body fields this route refuses.
    pub fn refused_body(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.op.body.into_iter().flat_map(|b| b.writable.iter().copied()).filter(|f| !self.body.contains(f))
    }
}

/// The layer: checks the query string and body against the declaration, runs the handler, and
/// applies `fields=` to its JSON answer.
pub async fn check(State(declared): State<&'static Declared>, request: Request, next: Next) -> Response {
    match checked(declared, request, next).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn checked(declared: &'static Declared, request: Request, next: Next) -> Result<Response, ApiError> {
    match answer(declared, request, next).await {
        Ok(response) => Ok(documented_status(declared, response)),
        Err(e) => Err(documented_error(declared, e)),
    }
}

/// A client error the spec does not document for this operation (Looker's spec lists no 422 for
/// most GETs) is answered with the nearest status it does document, same body: 400, else 422,
/// else 404. Authentication (401), transport limits (413) and server errors keep theirs.
fn remapped(declared: &Declared, status: StatusCode) -> Option<StatusCode> {
    let code = status.as_u16();
    if !matches!(code, 400 | 404 | 409 | 422) || declared.op.documents(code) {
        return None;
    }
    [400, 422, 404].into_iter().find(|c| declared.op.documents(*c)).and_then(|c| StatusCode::from_u16(c).ok())
}

fn documented_status(declared: &Declared, mut response: Response) -> Response {
    if let Some(status) = remapped(declared, response.status()) {
        *response.status_mut() = status;
    }
    response
}

fn documented_error(declared: &Declared, mut e: ApiError) -> ApiError {
    if let Some(status) = remapped(declared, e.status) {
        e.status = status;
    }
    e
}

async fn answer(declared: &'static Declared, request: Request, next: Next) -> Result<Response, ApiError> {
    let selection = check_query(declared, request.uri().query().unwrap_or(""))?;
    let request = match declared.op.body {
        Some(_) => {
            let (parts, body) = request.into_parts();
            let bytes = read_body(body).await?;
            check_body(declared, &bytes)?;
            Request::from_parts(parts, Body::from(bytes))
        }
        None => request,
    };
    let response = next.run(request).await;
    match selection {
        Some(selection) => trim(response, &selection).await,
        None => Ok(response),
    }
}

fn check_query(declared: &Declared, query: &str) -> Result<Option<FieldSelection>, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| ApiError::bad_request(format!("the query string is not URL-encoded: {e}")))?;
    let mut selection = None;
    for (name, value) in &pairs {
        let Some(param) = declared.op.param(name).filter(|p| p.location == Location::Query) else { continue };
        let implemented = declared.query.contains(&param.name);
        let off_only = declared.query_off.contains(&param.name);
        if !implemented && !off_only {
            return Err(not_supported(name, "query parameter", declared.op.id));
        }
        check_kind(name, param.kind, value)?;
        if off_only && value != "false" {
            return Err(not_supported(name, "query parameter", declared.op.id));
        }
        if param.name == "fields" && !value.trim().is_empty() {
            selection = Some(FieldSelection::parse(value));
        }
    }
    Ok(selection)
}

/// A parameter of the wrong type is a 400 naming it.
fn check_kind(name: &str, kind: Kind, value: &str) -> Result<(), ApiError> {
    let ok = match kind {
        Kind::Integer => value.trim().parse::<i64>().is_ok(),
        Kind::Number => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
        Kind::Boolean => matches!(value, "true" | "false"),
        Kind::DateTime => value.parse::<jiff::Timestamp>().is_ok(),
        Kind::String | Kind::StringList | Kind::Object => true,
    };
    if ok {
        Ok(())
    } else {
        let expected = match kind {
            Kind::Integer => "a 64-bit integer",
            Kind::Number => "a number",
            Kind::Boolean => "true or false",
            Kind::DateTime => "an RFC 3339 date-time",
            _ => "text",
        };
        Err(ApiError::bad_request(format!("query parameter `{name}` must be {expected}, not `{}`", clip(value))))
    }
}

async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {} MiB", MAX_BODY_BYTES >> 20)))
}

/// Writable fields the route does not implement are refused when set (null is "not set").
/// Bodies that are not JSON objects are left to the handler, which says what is wrong.
fn check_body(declared: &Declared, bytes: &Bytes) -> Result<(), ApiError> {
    let Some(spec_body) = declared.op.body else { return Ok(()) };
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(bytes) else { return Ok(()) };
    for (name, value) in &fields {
        if value.is_null() || declared.body.contains(&name.as_str()) || !spec_body.writable.contains(&name.as_str()) {
            continue;
        }
        if declared.body_off.contains(&name.as_str()) && value == &Value::Bool(false) {
            continue;
        }
        return Err(not_supported(name, "field", declared.op.id));
    }
    Ok(())
}

fn not_supported(name: &str, what: &str, operation: &str) -> ApiError {
    ApiError::validation(name, "not_supported", format!("{what} `{name}` of {operation} is not supported yet"))
}

/// Applies `fields=` to a successful JSON answer.
async fn trim(response: Response, selection: &FieldSelection) -> Result<Response, ApiError> {
    let is_json = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if !response.status().is_success() || !is_json {
        return Ok(response);
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_TRIMMED_BYTES).await.map_err(|e| ApiError::internal(format!("reading the answer to trim it: {e}")))?;
    let mut value: Value = serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(format!("the answer is not JSON: {e}")))?;
    selection.apply(&mut value);
    let body = serde_json::to_vec(&value).map_err(|e| ApiError::internal(e.to_string()))?;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// `text` cut to 64 characters, to quote a value in an error.
pub(crate) fn clip(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}
