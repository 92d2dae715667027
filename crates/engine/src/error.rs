//! Why the engine could not do what was asked. The API maps each variant to an HTTP status once.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("model `{0}` does not exist")]
    UnknownModel(String),
    #[error(transparent)]
    Compile(#[from] sql::CompileError),
    /// A valid Looker request that Sightline cannot carry out yet.
    #[error("{message}")]
    NotSupported { field: &'static str, message: String },
    /// A request value that is wrong on its face.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// A name already taken.
    #[error("{0}")]
    Conflict(String),
    #[error("{what} `{id}` does not exist")]
    NotFound { what: &'static str, id: String },
    /// The user's roles do not give what this needs (a tile of a dashboard on a model they may
    /// not query, say).
    #[error("{0}")]
    Forbidden(String),
    /// The database refused the SQL; the message is the database's.
    #[error("the database reported an error: {0}")]
    Database(String),
    #[error("connection `{0}` does not exist: declare it in the server's TOML config or create it with POST /connections")]
    NoConnection(String),
    #[error(transparent)]
    Format(#[from] format::FormatError),
    #[error(transparent)]
    Render(#[from] render::RenderError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The formatted result outgrew the per-result limit (the server's `--max-result-bytes`).
    #[error(
        "the result is larger than the server's limit of {limit} bytes per result (--max-result-bytes); ask for fewer rows or columns"
    )]
    ResultTooLarge { limit: usize },
    /// The rows of results in flight would pass the server's memory budget (`--max-result-memory`).
    #[error(
        "the query's rows would pass the server's memory budget for results in flight ({limit} bytes, --max-result-memory): \
         this query held {held} bytes when it stopped and other queries {others}; ask for fewer rows, or try again when fewer large queries run"
    )]
    OverMemory { limit: u64, held: u64, others: u64 },
    /// Its statement was cancelled: everyone waiting for it had gone.
    #[error("the query was cancelled")]
    Cancelled,
    /// `kill` of a task that is not waiting or running.
    #[error("query task `{id}` is not running (it is {status})")]
    NotRunning { id: String, status: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl EngineError {
    /// The same error for another caller of a shared run (errors hold values that cannot be
    /// copied, such as the metadata database's): what a run of a query can fail with is kept,
    /// anything else is carried as its message.
    pub(crate) fn reissue(&self) -> EngineError {
        match self {
            EngineError::Database(m) => EngineError::Database(m.clone()),
            EngineError::NoConnection(m) => EngineError::NoConnection(m.clone()),
            EngineError::ResultTooLarge { limit } => EngineError::ResultTooLarge { limit: *limit },
            EngineError::OverMemory { limit, held, others } => EngineError::OverMemory { limit: *limit, held: *held, others: *others },
            EngineError::Internal(m) => EngineError::Internal(m.clone()),
            EngineError::Cancelled => EngineError::Cancelled,
            other => EngineError::Internal(other.to_string()),
        }
    }
}
